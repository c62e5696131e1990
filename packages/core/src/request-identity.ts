import type { RequestSpec } from '@aiqum-jobs/contracts';

/** What events say about the request they belong to: a spec or a stored request both have it. */
export type RequestIdentity = Pick<
  RequestSpec,
  | 'requestId'
  | 'batchId'
  | 'target'
  | 'method'
  | 'path'
  | 'metadata'
  | 'createdAt'
  | 'submittedBy'
  | 'retryOf'
>;

/** The identity fields an event carries, those that are set. */
export function identityOf(spec: RequestIdentity) {
  return {
    requestId: spec.requestId,
    ...(spec.batchId === undefined ? {} : { batchId: spec.batchId }),
    target: spec.target,
    method: spec.method,
    path: spec.path,
    ...(spec.metadata === undefined ? {} : { metadata: spec.metadata }),
    ...(spec.submittedBy === undefined ? {} : { submittedBy: spec.submittedBy }),
    ...(spec.retryOf === undefined ? {} : { retryOf: spec.retryOf }),
  };
}
