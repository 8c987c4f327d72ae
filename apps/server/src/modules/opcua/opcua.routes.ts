import {
  addOpcuaServerCertificateSchema,
  decideOpcuaServerCertificateSchema,
  idParamsSchema,
  opcuaBindingSchema,
  opcuaClientCertificateSchema,
  opcuaPreviewRequestSchema,
  opcuaPreviewSchema,
  opcuaServerCertificateQuerySchema,
  opcuaServerCertificateSchema,
  putOpcuaBindingSchema,
} from '@tidewatch/shared';
import { z } from 'zod';
import { defineRoute, type AnyRoute } from '../../http/route.ts';
import type { RouteDeps } from '../api-routes.ts';
import { tenantClientCertificate } from './client-identity.ts';
import { deleteOpcuaBinding, getOpcuaBinding, saveOpcuaBinding } from './opcua-bindings.ts';
import { previewEndpoint } from './opcua-preview.ts';
import {
  addServerCertificate,
  decideServerCertificate,
  listServerCertificates,
  removeServerCertificate,
} from './trust-list.ts';

/**
 * OPC UA: a device's binding to an endpoint (its monitored items and commands), a live read of the mapped
 * nodes before saving, the tenant's client certificate, and its trust list of server certificates.
 */
export function opcuaRoutes({ db, ingest, secrets, config }: RouteDeps): AnyRoute[] {
  const bindings = {
    db,
    secrets,
    directory: ingest.directory,
    circuitThreshold: config.OPCUA_CIRCUIT_THRESHOLD,
  };
  const preview = {
    db,
    secrets,
    directory: ingest.directory,
    enabled: config.opcuaEnabled,
    timeoutMs: config.OPCUA_TIMEOUT_MS,
    window: {
      maxFutureMs: config.INGEST_MAX_FUTURE_S * 1000,
      maxAgeMs: config.INGEST_MAX_AGE_DAYS * 86_400_000,
    },
  };
  return [
    defineRoute({
      method: 'get',
      path: '/devices/:id/opcua',
      summary: 'The device’s OPC UA binding and the state of its session (the password is never returned)',
      tag: 'devices',
      access: 'tenant',
      permission: 'integration:read',
      params: idParamsSchema,
      response: opcuaBindingSchema,
      handler: ({ params }, ctx) => getOpcuaBinding(bindings, ctx, params.id),
    }),
    defineRoute({
      method: 'put',
      path: '/devices/:id/opcua',
      summary: 'Bind the device to an OPC UA endpoint, or replace its binding (the session is made anew)',
      tag: 'devices',
      access: 'tenant',
      permission: 'integration:write',
      params: idParamsSchema,
      body: putOpcuaBindingSchema,
      response: opcuaBindingSchema,
      handler: ({ params, body }, ctx) => saveOpcuaBinding(bindings, ctx, params.id, body),
    }),
    defineRoute({
      method: 'delete',
      path: '/devices/:id/opcua',
      summary: 'Unbind the OPC UA endpoint (stored readings stay)',
      tag: 'devices',
      access: 'tenant',
      permission: 'integration:write',
      params: idParamsSchema,
      response: null,
      handler: ({ params }, ctx) => deleteOpcuaBinding(bindings, ctx, params.id),
    }),
    defineRoute({
      method: 'post',
      path: '/devices/:id/opcua/preview',
      summary:
        'Connect once and read the mapped nodes (and browse one), showing what would be stored; nothing is saved',
      tag: 'devices',
      access: 'tenant',
      permission: 'integration:write',
      params: idParamsSchema,
      body: opcuaPreviewRequestSchema,
      response: opcuaPreviewSchema,
      problems: ['bad_gateway', 'gateway_timeout'],
      handler: ({ params, body }, ctx) => previewEndpoint(preview, ctx, params.id, body),
    }),
    defineRoute({
      method: 'get',
      path: '/opcua/client-certificate',
      summary: 'The tenant’s OPC UA client certificate (made on first use), for plant servers to trust',
      tag: 'devices',
      access: 'tenant',
      permission: 'integration:read',
      response: opcuaClientCertificateSchema,
      handler: (_input, ctx) => tenantClientCertificate(db.pool, secrets, ctx.tenantId),
    }),
    defineRoute({
      method: 'get',
      path: '/opcua/server-certificates',
      summary: 'The trust list: server certificates trusted, refused, or met and waiting for a decision',
      tag: 'devices',
      access: 'tenant',
      permission: 'integration:read',
      query: opcuaServerCertificateQuerySchema,
      response: z.array(opcuaServerCertificateSchema),
      handler: ({ query }, ctx) => listServerCertificates(db, ctx, query.status),
    }),
    defineRoute({
      method: 'post',
      path: '/opcua/server-certificates',
      summary: 'Trust (or refuse) a server certificate before the connector meets it',
      tag: 'devices',
      access: 'tenant',
      permission: 'integration:write',
      body: addOpcuaServerCertificateSchema,
      response: opcuaServerCertificateSchema,
      status: 201,
      handler: ({ body }, ctx) => addServerCertificate(db, ctx, body),
    }),
    defineRoute({
      method: 'patch',
      path: '/opcua/server-certificates/:id',
      summary: 'Trust or refuse a server certificate; bindings it held back connect at once',
      tag: 'devices',
      access: 'tenant',
      permission: 'integration:write',
      params: idParamsSchema,
      body: decideOpcuaServerCertificateSchema,
      response: opcuaServerCertificateSchema,
      handler: ({ params, body }, ctx) => decideServerCertificate(db, ctx, params.id, body.status),
    }),
    defineRoute({
      method: 'delete',
      path: '/opcua/server-certificates/:id',
      summary: 'Remove a server certificate from the trust list (met again, it waits for a decision)',
      tag: 'devices',
      access: 'tenant',
      permission: 'integration:write',
      params: idParamsSchema,
      response: null,
      handler: ({ params }, ctx) => removeServerCertificate(db, ctx, params.id),
    }),
  ];
}
