import { problemSchema, problemStatuses } from '@tidewatch/shared';
import { z } from 'zod';
import type { AnyRoute } from './route.ts';

type JsonSchema = Record<string, unknown>;

interface Components {
  schemas: Record<string, JsonSchema>;
}

/** Converts one zod schema, moving named sub-schemas into components and pointing at them. */
function schemaFor(schema: z.ZodType, io: 'input' | 'output', components: Components): JsonSchema {
  const converted = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' });
  const text = JSON.stringify(converted).replaceAll('"#/$defs/', '"#/components/schemas/');
  const {
    $defs,
    $schema: _schema,
    ...rest
  } = JSON.parse(text) as JsonSchema & { $defs?: Record<string, JsonSchema> };
  for (const [name, definition] of Object.entries($defs ?? {})) components.schemas[name] ??= definition;
  const id = z.globalRegistry.get(schema)?.id;
  if (id === undefined) return rest;
  components.schemas[id] ??= rest;
  return { $ref: `#/components/schemas/${id}` };
}

function queryParameters(schema: z.ZodType, components: Components): JsonSchema[] {
  const converted = schemaFor(schema, 'input', components) as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(converted.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: converted.required?.includes(name) ?? false,
    ...(typeof property.description === 'string' ? { description: property.description } : {}),
    schema: property,
  }));
}

const errorStatuses = (route: AnyRoute): number[] => {
  // 503: the database was busy (held lock, slow query, no free connection) or away; Retry-After says when to retry.
  const statuses = new Set<number>([400, 500, 503]);
  if (route.access !== 'public') [401, 403].forEach((s) => statuses.add(s));
  if (route.guard) statuses.add(401);
  if (route.path.includes(':')) statuses.add(404);
  if (route.method !== 'get' && route.method !== 'delete') [409, 413].forEach((s) => statuses.add(s));
  if (route.before?.length) statuses.add(problemStatuses.too_many_requests);
  for (const code of route.problems ?? []) statuses.add(problemStatuses[code]);
  return [...statuses].sort();
};

/** The OpenAPI 3.1 document of the REST API, generated from the same route declarations that serve it. */
export function buildOpenApiDocument(routes: readonly AnyRoute[], version: string): JsonSchema {
  const components: Components = { schemas: {} };
  const problemRef = schemaFor(problemSchema, 'output', components);
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    const path = `/api/v1${route.path.replace(/:([A-Za-z]+)/g, '{$1}')}`;
    const pathParameters = [...route.path.matchAll(/:([A-Za-z]+)/g)].map(([, name]) => ({
      name,
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const success = route.status ?? (route.response === null ? 204 : 200);
    const responses: Record<string, JsonSchema> = {
      [String(success)]:
        route.response === null
          ? { description: 'Done' }
          : {
              description: 'Success',
              content: {
                [route.contentType ?? 'application/json']: {
                  schema: schemaFor(route.response, 'output', components),
                },
              },
            },
    };
    for (const status of errorStatuses(route)) {
      responses[String(status)] = {
        description: 'Problem',
        content: { 'application/problem+json': { schema: problemRef } },
      };
    }
    const operation: JsonSchema = {
      operationId: `${route.method}${route.path.replace(/[/:]+([a-zA-Z])/g, (_m, c: string) => c.toUpperCase())}`,
      summary: route.summary,
      tags: [route.tag],
      parameters: [...pathParameters, ...(route.query ? queryParameters(route.query, components) : [])],
      responses,
      ...(route.access === 'public' ? { security: [] } : {}),
      ...(route.access === 'tenant' || (route.access === 'signed_in' && route.permission)
        ? { 'x-permission': route.permission }
        : {}),
    };
    if (route.binaryBody) {
      operation.requestBody = {
        required: true,
        description: route.binaryBody.description,
        content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
      };
    }
    if (route.idempotent) {
      (operation.parameters as JsonSchema[]).push({
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        description:
          'Applies the request once: sent again with the same key (8 to 100 letters, digits, _ or -), it is ' +
          'answered as the first time, with the header Idempotent-Replayed: true',
        schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{8,100}$' },
      });
    }
    if (route.body) {
      operation.requestBody = {
        required: true,
        content: { 'application/json': { schema: schemaFor(route.body, 'input', components) } },
      };
    }
    (paths[path] ??= {})[route.method] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tidewatch API',
      version,
      description:
        'Control room for water and utility networks. Authenticate with POST /api/v1/auth/login and send the access ' +
        'token as a Bearer token. A super_admin chooses the tenant with the X-Tenant-Id header.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    paths,
    components: {
      ...components,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
  };
}
