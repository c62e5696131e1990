import { isDeepStrictEqual } from 'node:util';
import {
  batchCompletedEventSchema,
  batchInputSchema,
  batchViewSchema,
  eventSchema,
  jsonValueSchema,
  requestAcceptedEventSchema,
  requestCompletedEventSchema,
  requestInputSchema,
  requestViewSchema,
} from '@aiqum-jobs/contracts';
import { subscriptionInputSchema, subscriptionViewSchema } from '@aiqum-jobs/webhooks';
import { z } from 'zod';
import { type ApiResponse, type ApiRoute, apiTags } from './api-route.js';
import {
  batchRequestsPageSchema,
  batchResponseSchema,
  deadLetterPageSchema,
  errorBodySchema,
  eventStreamMessageSchema,
  healthAnswerSchema,
  notReadyAnswerSchema,
  readyAnswerSchema,
  recentBatchesSchema,
  replayAnswerSchema,
  submitResponseSchema,
  subscriptionCreatedSchema,
  subscriptionListSchema,
} from './api-schemas.js';
import { type ProducerErrorCode, producerErrorCodes, statusOfCode } from './producer-error.js';
import { isRateLimited } from './rate-limits.js';
import { retryBatchInputSchema, retryRequestInputSchema } from './retry-input.js';

/** A JSON Schema 2020-12 object as zod generates it: the schema object of OpenAPI 3.1. */
type SchemaObject = z.core.JSONSchema.BaseSchema;
interface Reference {
  $ref: string;
}
interface MediaType {
  schema?: Reference;
}
interface Header {
  description: string;
  schema: SchemaObject;
}
interface Response {
  description: string;
  headers?: Record<string, Header>;
  /** Left out of a 204 answer, which has no body. */
  content?: Record<string, MediaType>;
}
interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  description?: string;
  schema: SchemaObject;
}
interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  /** Empty for a route that needs no token. */
  security?: [];
  parameters?: Parameter[];
  requestBody?: { required: boolean; description: string; content: Record<string, MediaType> };
  responses: Record<string, Response>;
}

/** The parts of OpenAPI 3.1 this document uses. */
export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  tags: Array<{ name: string; description: string }>;
  security: Array<Record<string, []>>;
  paths: Record<string, Partial<Record<Lowercase<ApiRoute['method']>, Operation>>>;
  components: {
    schemas: Record<string, SchemaObject>;
    securitySchemes: Record<string, { type: 'http'; scheme: 'bearer'; description: string }>;
  };
}

type Components = Readonly<Record<string, z.ZodType>>;

/** Named schemas of request bodies, as a caller writes them (fields with defaults may be left out). */
const requestComponents: Components = {
  RequestInput: requestInputSchema,
  BatchInput: batchInputSchema,
  SubscriptionInput: subscriptionInputSchema,
  RetryRequestInput: retryRequestInputSchema,
  RetryBatchInput: retryBatchInputSchema,
  JsonValue: jsonValueSchema,
};

/** Named schemas of answers and events, as the API writes them. */
const responseComponents: Components = {
  SubmitAnswer: submitResponseSchema,
  BatchAnswer: batchResponseSchema,
  Request: requestViewSchema,
  Batch: batchViewSchema,
  RecentBatches: recentBatchesSchema,
  BatchRequestsPage: batchRequestsPageSchema,
  Subscription: subscriptionViewSchema,
  SubscriptionCreated: subscriptionCreatedSchema,
  SubscriptionList: subscriptionListSchema,
  DeadLetterPage: deadLetterPageSchema,
  ReplayAnswer: replayAnswerSchema,
  Error: errorBodySchema,
  Health: healthAnswerSchema,
  Ready: readyAnswerSchema,
  NotReady: notReadyAnswerSchema,
  EventStreamMessage: eventStreamMessageSchema,
  Event: eventSchema,
  RequestAcceptedEvent: requestAcceptedEventSchema,
  RequestCompletedEvent: requestCompletedEventSchema,
  BatchCompletedEvent: batchCompletedEventSchema,
  JsonValue: jsonValueSchema,
};

const errorStatusMeanings: Readonly<Record<number, string>> = {
  400: 'The input is invalid; `error.issues` names each problem.',
  401: 'No valid bearer token.',
  403: 'No tokens are configured, and the client is not on loopback, names no loopback `Host`, or is a page of another origin.',
  404: 'No such request, batch, subscription or dead letter.',
  409:
    'Conflicts with the state of the request, with an earlier use of the `Idempotency-Key`, or with a ' +
    'subscription of `WEBHOOKS_FILE`.',
  413: 'The body is larger than `PRODUCER_BODY_LIMIT_BYTES`.',
  415: 'The body is not JSON.',
  429:
    'Too many requests from this token (or address) in the last minute (`PRODUCER_RATE_LIMIT_PER_MINUTE`), ' +
    'or too many open event streams; retry after `Retry-After` seconds.',
  500: 'An unexpected failure; the producer log has it.',
  503: 'Redis is unreachable or slow. Nothing was queued; retry.',
};

/**
 * The OpenAPI 3.1 document of the routes, with JSON Schemas generated from the zod schemas the routes
 * parse and answer with. Throws when a route's body is not a named component, so nothing goes undescribed.
 */
export function buildOpenApiDocument(routes: readonly ApiRoute[]): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  for (const route of routes) {
    const path = route.url.replace(/:(\w+)/g, '{$1}');
    const item = paths[path] ?? {};
    item[route.method.toLowerCase() as Lowercase<ApiRoute['method']>] = operationOf(route);
    paths[path] = item;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'aiqum-jobs producer API',
      version: '1',
      description:
        'Queue NetApp Active IQ Unified Manager API calls, follow them to their outcome, and receive ' +
        'their completion events. Every answer that is not 2xx has the `Error` body.',
    },
    tags: Object.entries(apiTags).map(([name, description]) => ({ name, description })),
    security: [{ bearerAuth: [] }],
    paths,
    components: {
      schemas: componentSchemas(),
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description:
            'A token of `PRODUCER_TOKENS_FILE`, `PRODUCER_TOKENS` or `PRODUCER_API_TOKENS`; each operation ' +
            'names the scope it needs. Without tokens configured, the API serves loopback clients only, and ' +
            'needs none.',
        },
      },
    },
  };
}

function operationOf(route: ApiRoute): Operation {
  const where = `${route.method} ${route.url}`;
  const parameters = [
    ...parametersOf('path', route.params),
    ...parametersOf('query', route.query),
    ...parametersOf('header', route.headers),
  ];
  const responses: Record<string, Response> = {};
  for (const [status, response] of Object.entries(route.responses)) {
    responses[status] = responseOf(Number(status), response, `the ${status} answer of ${where}`);
  }
  Object.assign(responses, errorResponses(route));
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...descriptionOf(route),
    tags: [route.tag],
    ...(route.access === 'public' ? { security: [] } : {}),
    ...(parameters.length === 0 ? {} : { parameters }),
    ...(route.body === undefined
      ? {}
      : {
          requestBody: {
            required: route.body.optional !== true,
            description: route.body.description,
            content: {
              'application/json': {
                schema: componentRef(requestComponents, route.body.schema, `the body of ${where}`),
              },
            },
          },
        }),
    responses,
  };
}

function responseOf(status: number, response: ApiResponse, where: string): Response {
  const mediaType: MediaType =
    response.body === undefined ? {} : { schema: componentRef(responseComponents, response.body, where) };
  const headers = Object.entries(response.headers ?? {});
  return {
    description: response.description,
    ...(headers.length === 0
      ? {}
      : {
          headers: Object.fromEntries(
            headers.map(([name, description]) => [name, { description, schema: { type: 'string' } }]),
          ),
        }),
    ...(status === 204 ? {} : { content: { [response.mediaType ?? 'application/json']: mediaType } }),
  };
}

/** The route's description, ending with the token scope it needs. */
function descriptionOf(route: ApiRoute): { description?: string } {
  if (route.access === 'public')
    return route.description === undefined ? {} : { description: route.description };
  const scope = `Needs a token with the \`${route.access}\` scope${route.access === 'admin' ? '' : ' (or `admin`)'}.`;
  return { description: route.description === undefined ? scope : `${route.description} ${scope}` };
}

/** The route's errors grouped by status; every route can fail, and an authenticated one can refuse. */
function errorResponses(route: ApiRoute): Record<string, Response> {
  const codes: ProducerErrorCode[] = [...route.errors];
  if (route.access !== 'public') {
    codes.push(
      producerErrorCodes.unauthorized,
      producerErrorCodes.forbidden,
      producerErrorCodes.forbiddenScope,
      producerErrorCodes.forbiddenHost,
      producerErrorCodes.crossOrigin,
    );
  }
  if (isRateLimited(route)) codes.push(producerErrorCodes.tooManyRequests);
  codes.push(producerErrorCodes.internal);
  const byStatus = new Map<number, ProducerErrorCode[]>();
  for (const code of codes)
    byStatus.set(statusOfCode[code], [...(byStatus.get(statusOfCode[code]) ?? []), code]);
  const responses: Record<string, Response> = {};
  for (const [status, statusCodes] of [...byStatus].sort(([a], [b]) => a - b)) {
    const listed = statusCodes.map((code) => `\`${code}\``).join(', ');
    responses[String(status)] = {
      description: `${errorStatusMeanings[status] ?? 'Refused.'} Codes: ${listed}.`,
      ...(status === 401
        ? { headers: { 'WWW-Authenticate': { description: '`Bearer`', schema: { type: 'string' } } } }
        : {}),
      ...(status === 429
        ? {
            headers: {
              'Retry-After': {
                description: 'seconds to wait before trying again',
                schema: { type: 'integer' },
              },
            },
          }
        : {}),
      content: {
        'application/json': { schema: componentRef(responseComponents, errorBodySchema, 'errors') },
      },
    };
  }
  return responses;
}

function parametersOf(location: 'path' | 'query' | 'header', schema: z.ZodObject | undefined): Parameter[] {
  if (schema === undefined) return [];
  return Object.entries(schema.shape).map(([name, field]) => {
    const { description, ...fieldSchema } = jsonSchemaOf(z.toJSONSchema(field, { io: 'input' }));
    return {
      name,
      in: location,
      required: !z.safeParse(field, undefined).success,
      ...(typeof description === 'string' ? { description } : {}),
      schema: fieldSchema,
    };
  });
}

function componentRef(components: Components, schema: z.ZodType, where: string): Reference {
  const name = Object.entries(components).find(([, component]) => component === schema)?.[0];
  if (name === undefined) {
    throw new Error(
      `${where} has no name in the document: add its schema to the components of openapi-document.ts`,
    );
  }
  return { $ref: `#/components/schemas/${name}` };
}

/** Both sets of components; a name in both (JsonValue) must read the same as input and as output. */
function componentSchemas(): Record<string, SchemaObject> {
  const schemas = convertComponents(requestComponents, 'input');
  for (const [name, schema] of Object.entries(convertComponents(responseComponents, 'output'))) {
    if (name in schemas && !isDeepStrictEqual(schemas[name], schema)) {
      throw new Error(`component ${name} reads differently as input and as output: give each its own name`);
    }
    schemas[name] = schema;
  }
  return schemas;
}

function convertComponents(components: Components, io: 'input' | 'output'): Record<string, SchemaObject> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(components)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { io, uri: (id) => `#/components/schemas/${id}` });
  // zod puts recursive schemas without a name here, behind references OpenAPI cannot follow.
  if ('__shared' in schemas) {
    throw new Error('a recursive schema has no name: add it to the components of openapi-document.ts');
  }
  return Object.fromEntries(Object.entries(schemas).map(([name, schema]) => [name, jsonSchemaOf(schema)]));
}

/** A generated schema without the `$schema` and `$id` that only a standalone schema needs. */
function jsonSchemaOf(schema: SchemaObject): SchemaObject {
  const { $schema: _schema, $id: _id, ...rest } = schema;
  return rest;
}
