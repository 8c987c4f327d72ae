import { z } from 'zod';
import { zoneKinds } from '../domain/assets.ts';
import {
  archivedAtSchema,
  archivedQuerySchema,
  areaGeometrySchema,
  codeSchema,
  multiPolygonGeometrySchema,
  pageQuerySchema,
  safeTextSchema,
} from './common.ts';

export const zoneSchema = z
  .object({
    id: z.uuid(),
    code: z.string(),
    name: z.string(),
    kind: z.enum(zoneKinds),
    parentId: z.uuid().nullable(),
    geometry: multiPolygonGeometrySchema,
    archivedAt: archivedAtSchema,
  })
  .meta({ id: 'Zone' });
export type Zone = z.infer<typeof zoneSchema>;

export const zoneQuerySchema = pageQuerySchema.extend({ archived: archivedQuerySchema });
export type ZoneQuery = z.infer<typeof zoneQuerySchema>;

export const createZoneSchema = z
  .strictObject({
    code: codeSchema,
    name: safeTextSchema(200),
    kind: z.enum(zoneKinds).default('dma'),
    parentId: z.uuid().nullable().default(null),
    geometry: areaGeometrySchema,
  })
  .meta({ id: 'CreateZone' });

export const updateZoneSchema = z
  .strictObject({
    name: safeTextSchema(200).optional(),
    kind: z.enum(zoneKinds).optional(),
    geometry: areaGeometrySchema.optional(),
  })
  .meta({ id: 'UpdateZone' });
