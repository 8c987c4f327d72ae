import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { Api, startTestServer } from './harness.ts';

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, { 'x-permission'?: string; responses: Record<string, unknown> }>>;
}

describe('the OpenAPI document', () => {
  let server: RunningServer;
  let document: OpenApiDocument;

  beforeAll(async () => {
    server = await startTestServer();
    const response = await new Api(server.url).request<OpenApiDocument>('GET', '/api/v1/openapi.json');
    document = response.body;
  });
  afterAll(async () => {
    await server.close();
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    expect(document.openapi).toBe('3.1.0');
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeTruthy();
  });

  it('lists every route the server serves, with its permission and its problem responses', () => {
    for (const route of server.routes) {
      const path = `/api/v1${route.path.replace(/:([A-Za-z]+)/g, '{$1}')}`;
      const operation = document.paths[path]?.[route.method];
      expect(operation, `${route.method} ${path}`).toBeDefined();
      if (route.access === 'tenant') expect(operation?.['x-permission']).toBe(route.permission);
      expect(Object.keys(operation?.responses ?? {})).toContain('400');
    }
    const documented = Object.values(document.paths).reduce(
      (n, methods) => n + Object.keys(methods).length,
      0,
    );
    expect(documented).toBe(server.routes.length);
  });
});
