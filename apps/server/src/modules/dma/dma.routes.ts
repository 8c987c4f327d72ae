import { withTenantClient } from '@tidewatch/db';
import {
  dmaBalanceQuerySchema,
  dmaBalanceSchema,
  dmaLeagueSchema,
  dmaNightsQuerySchema,
  dmaNightsSchema,
  dmaSchema,
  dmaZoneParamsSchema,
  putDmaSchema,
} from '@tidewatch/shared';
import type pg from 'pg';
import { z } from 'zod';
import { dbContext, type TenantContext } from '../../http/request-context.ts';
import { defineRoute, type AnyRoute } from '../../http/route.ts';
import type { RouteDeps } from '../api-routes.ts';
import {
  dmaLeague,
  listDmas,
  putDma,
  readDma,
  readDmaBalance,
  readDmaNights,
  removeDma,
} from './dma-service.ts';

/** District metered areas: their meters, water balance, night flow and leakage league. */
export function dmaRoutes({ db }: RouteDeps): AnyRoute[] {
  const tenantClient = <T>(ctx: TenantContext, work: (client: pg.PoolClient) => Promise<T>): Promise<T> =>
    withTenantClient(db.pool, dbContext(ctx), work);
  return [
    defineRoute({
      method: 'get',
      path: '/dmas',
      summary: 'The district metered areas, with their meters',
      tag: 'dmas',
      access: 'tenant',
      permission: 'zone:read',
      response: z.object({ items: z.array(dmaSchema) }),
      handler: async (_input, ctx) => ({ items: await tenantClient(ctx, (c) => listDmas(c, ctx)) }),
    }),
    defineRoute({
      method: 'get',
      path: '/dmas/league',
      summary: 'DMAs ranked by leakage per connection on their last complete night, and by its change',
      tag: 'dmas',
      access: 'tenant',
      permission: 'telemetry:read',
      response: dmaLeagueSchema,
      handler: (_input, ctx) => tenantClient(ctx, (c) => dmaLeague(c, ctx)),
    }),
    defineRoute({
      method: 'get',
      path: '/dmas/:zoneId',
      summary: 'One district metered area',
      tag: 'dmas',
      access: 'tenant',
      permission: 'zone:read',
      params: dmaZoneParamsSchema,
      response: dmaSchema,
      handler: ({ params }, ctx) => tenantClient(ctx, (c) => readDma(c, ctx, params.zoneId)),
    }),
    defineRoute({
      method: 'put',
      path: '/dmas/:zoneId',
      summary: 'Make a zone of kind dma a district metered area, or change one (its meters are replaced)',
      tag: 'dmas',
      access: 'tenant',
      permission: 'zone:write',
      params: dmaZoneParamsSchema,
      body: putDmaSchema,
      response: dmaSchema,
      handler: ({ params, body }, ctx) => tenantClient(ctx, (c) => putDma(c, ctx, params.zoneId, body)),
    }),
    defineRoute({
      method: 'delete',
      path: '/dmas/:zoneId',
      summary: 'Stop metering a zone as a DMA (the zone stays)',
      tag: 'dmas',
      access: 'tenant',
      permission: 'zone:write',
      params: dmaZoneParamsSchema,
      response: null,
      handler: async ({ params }, ctx) => {
        await tenantClient(ctx, (c) => removeDma(c, ctx, params.zoneId));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/dmas/:zoneId/balance',
      summary: 'Water balance (inflow, outflow, net) per local hour or day',
      tag: 'dmas',
      access: 'tenant',
      permission: 'telemetry:read',
      params: dmaZoneParamsSchema,
      query: dmaBalanceQuerySchema,
      response: dmaBalanceSchema,
      handler: ({ params, query }, ctx) =>
        tenantClient(ctx, (c) => readDmaBalance(c, ctx, params.zoneId, query)),
    }),
    defineRoute({
      method: 'get',
      path: '/dmas/:zoneId/nights',
      summary:
        'Minimum night flow, legitimate night use and leakage of the last nights, with the leakage trend',
      tag: 'dmas',
      access: 'tenant',
      permission: 'telemetry:read',
      params: dmaZoneParamsSchema,
      query: dmaNightsQuerySchema,
      response: dmaNightsSchema,
      handler: ({ params, query }, ctx) =>
        tenantClient(ctx, (c) => readDmaNights(c, ctx, params.zoneId, query.nights)),
    }),
  ];
}
