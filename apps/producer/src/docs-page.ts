import type { Logger } from '@aiqum-jobs/contracts';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type {
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { OpenAPIV3 } from 'openapi-types';
import type { OpenApiDocument } from './openapi-document.js';
import { docsPagePath } from './page-paths.js';

/**
 * Serves the document as a web page (Swagger UI) at `/docs`. Its scripts and styles come from the
 * @fastify/swagger-ui package through this process: the page needs no other host, so it works offline.
 */
export function registerDocsPage(
  app: FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, Logger>,
  document: OpenApiDocument,
): void {
  app.register(fastifySwagger, {
    mode: 'static',
    // The page reads the document through @fastify/swagger, which hands it over untouched; its option types
    // stop at OpenAPI 3.0.
    specification: { document: document as unknown as OpenAPIV3.Document },
  });
  app.register(fastifySwaggerUi, {
    routePrefix: docsPagePath,
    // No badge from the public validator: the page calls no other host.
    validatorUrl: false,
    theme: { title: 'aiqum-jobs API' },
  });
}
