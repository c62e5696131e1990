import { z } from 'zod';
import { submitJob } from '../accept-job.js';
import { refOf } from '../collection.js';
import { queryCollection } from '../collection-query.js';
import { errorCodes, HttpError, invalidField, JobFailure } from '../errors.js';
import { addVolume, type VolumeRecord } from '../inventory.js';
import { ontapJobHref, ontapJobRecord } from '../ontap-job-record.js';
import { parseBody } from '../request-body.js';
import type { Route, RouteHandler } from '../router.js';
import type { SimulatorState } from '../simulator-state.js';
import { ontapExportPolicyRoutes } from './ontap-export-policies.js';
import { gatewayCluster, ontapNotFound, ontapSvm, ontapSvmSchema } from './ontap-lookups.js';

/** ONTAP's longest `return_timeout`. */
const maxReturnTimeoutSeconds = 120;

const volumeSchema = z.object({
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,202}$/, 'not a valid volume name'),
  svm: ontapSvmSchema,
  aggregates: z.array(z.object({ name: z.string().min(1) })).min(1),
  size: z.number().int().positive(),
});

function ontapVolume(volume: VolumeRecord, clusterUuid: string) {
  const svmUuid = volume.svm.key.split('uuid=')[1] ?? '';
  return {
    uuid: volume.uuid,
    name: volume.name,
    size: volume.size,
    state: volume.state,
    style: volume.style,
    svm: { uuid: svmUuid, name: volume.svm.name },
    aggregates: volume.aggregates.map((a) => ({ name: a.name, uuid: a.key.split('uuid=')[1] ?? '' })),
    _links: { self: { href: `/api/gateways/${clusterUuid}/storage/volumes/${volume.uuid}` } },
  };
}

function parseReturnTimeout(query: URLSearchParams): number {
  const raw = query.get('return_timeout');
  if (raw === null) return 0;
  const seconds = Number(raw);
  if (!/^\d+$/.test(raw) || seconds > maxReturnTimeoutSeconds) {
    throw invalidField(
      'return_timeout',
      `"return_timeout" must be an integer from 0 to ${maxReturnTimeoutSeconds}`,
    );
  }
  return seconds;
}

/**
 * Sources (DOC) say only that the gateway is enabled or disabled in General > Feature Settings, not what a
 * call to a disabled gateway answers. 403 is chosen: the server knows the path and refuses it by a setting
 * (not 404, "no such path"), and no retry can help (not 503, which clients retry).
 */
function gatewayDisabled(): HttpError {
  return new HttpError(
    403,
    'The API Gateway is disabled: enable it in General > Feature Settings > API Gateway.',
    errorCodes.forbidden,
  );
}

/** The gateway answers only while it is enabled (writes through it are for application administrators: the request handler's role rule). */
function guard(state: SimulatorState, handler: RouteHandler): RouteHandler {
  return (ctx) => {
    if (!state.options.gateway) throw gatewayDisabled();
    return handler(ctx);
  };
}

/** The ONTAP pass-through: clusters, volume create (ONTAP job), ONTAP job polls and NFS export policies. */
export function gatewayRoutes(state: SimulatorState): Route[] {
  return [...ontapRoutes(state), ...ontapExportPolicyRoutes(state)].map((route) => ({
    ...route,
    handler: guard(state, route.handler),
  }));
}

function ontapRoutes(state: SimulatorState): Route[] {
  return [
    {
      method: 'GET',
      template: '/api/gateways',
      handler: (ctx) => {
        const page = queryCollection(
          state.inventory.clusters.values().map((c) => ({
            uuid: c.uuid,
            name: c.name,
            ip_address: c.management_ip,
            type: 'ONTAP',
            _links: { self: { href: `/api/gateways/${c.uuid}` } },
          })),
          { path: ctx.rawPath, query: ctx.query },
        );
        // SPEC's gateways_service_response spells the list's own self link as a plain string.
        const { self, ...links } = page._links;
        return { status: 200, body: { ...page, _links: { ...links, self: self.href } } };
      },
    },
    {
      method: 'GET',
      template: '/api/gateways/{cluster}/storage/volumes',
      handler: (ctx) => {
        const c = gatewayCluster(state, ctx.params.cluster);
        const records = state.inventory.volumes
          .values()
          .filter((v) => v.cluster.key === c.key)
          .map((v) => ontapVolume(v, c.uuid));
        return { status: 200, body: queryCollection(records, { path: ctx.rawPath, query: ctx.query }) };
      },
    },
    {
      method: 'POST',
      template: '/api/gateways/{cluster}/storage/volumes',
      handler: async (ctx) => {
        const c = gatewayCluster(state, ctx.params.cluster);
        const returnTimeout = parseReturnTimeout(ctx.query);
        const body = parseBody(volumeSchema, ctx.body);
        const inv = state.inventory;
        const svm = ontapSvm(inv, c, body.svm);
        const aggregates = body.aggregates.map((a, i) => {
          const found = inv.aggregates.findByName(a.name, (g) => g.cluster.key === c.key);
          if (!found) {
            throw new HttpError(400, `Aggregate "${a.name}" does not exist.`, '917835', {
              target: `aggregates.${i}.name`,
            });
          }
          return found;
        });
        const job = submitJob(state, ctx, {
          kind: 'ontap',
          clusterUuid: c.uuid,
          name: `/api/storage/volumes/${body.name}`,
          type: 'volume_create',
          effect: () => {
            if (inv.volumes.findByName(body.name, (v) => v.svm.key === svm.key)) {
              throw new JobFailure(`Duplicate volume name ${body.name}.`, errorCodes.duplicateName);
            }
            const volume = addVolume(inv, svm, body.name, body.size, aggregates[0]);
            volume.aggregates = aggregates.map(refOf);
            return [{ name: 'volumeKey', value: volume.key }];
          },
        });
        if (returnTimeout > 0) {
          await state.jobs.waitForEnd(job, returnTimeout * 1000, ctx.signal);
          state.jobs.settleDue();
          if (job.settled) {
            const record = ontapJobRecord(job, state.options.now());
            // ONTAP answers a job that failed within return_timeout with the job's error, not with 201.
            if (record.state === 'failure') throw new HttpError(400, record.message, record.code);
            return { status: 201, body: { job: record } };
          }
        }
        return {
          status: 202,
          body: { job: { uuid: job.id, _links: { self: { href: ontapJobHref(c.uuid, job.id) } } } },
        };
      },
    },
    {
      method: 'GET',
      template: '/api/gateways/{cluster}/cluster/jobs/{uuid}',
      poll: true,
      handler: (ctx) => {
        const c = gatewayCluster(state, ctx.params.cluster);
        const job = state.jobs.get(ctx.params.uuid ?? '');
        if (job?.kind !== 'ontap' || job.clusterUuid !== c.uuid || state.jobs.isPurged(job)) {
          throw ontapNotFound("entry doesn't exist", 'uuid');
        }
        return { status: 200, body: ontapJobRecord(job, state.options.now()) };
      },
    },
  ];
}
