import { z } from 'zod';
import { assetKinds, pipeMaterials, pointAssetKinds } from '../domain/assets.ts';
import {
  archivedAtSchema,
  archivedQuerySchema,
  codeSchema,
  jsonbObjectSchema,
  lineStringGeometrySchema,
  pageQuerySchema,
  pointGeometrySchema,
  safeTextSchema,
} from './common.ts';
import { tagListSchema, tagSchema } from './tag.schema.ts';

const assetPropertiesSchema = z.object({
  code: z.string(),
  name: z.string(),
  kind: z.enum(assetKinds),
  zoneId: z.uuid().nullable(),
  diameterMm: z.number().int().nullable(),
  material: z.enum(pipeMaterials).nullable(),
  fromAssetId: z.uuid().nullable(),
  toAssetId: z.uuid().nullable(),
  installedOn: z.string().nullable(),
  inMaintenance: z.boolean(),
  maintenanceReason: z.string().nullable(),
  attributes: z.record(z.string(), z.unknown()),
  tags: z.array(z.string()),
  archivedAt: archivedAtSchema,
});

/** An asset as a GeoJSON Feature: `id` is the asset id, the rest lives in `properties`. */
export const assetFeatureSchema = z
  .object({
    type: z.literal('Feature'),
    id: z.uuid(),
    geometry: z.discriminatedUnion('type', [pointGeometrySchema, lineStringGeometrySchema]),
    properties: assetPropertiesSchema,
  })
  .meta({ id: 'AssetFeature' });
export type AssetFeature = z.infer<typeof assetFeatureSchema>;

export const assetCollectionSchema = z
  .object({
    type: z.literal('FeatureCollection'),
    features: z.array(assetFeatureSchema),
    nextCursor: z.string().nullable(),
  })
  .meta({ id: 'AssetCollection' });
export type AssetCollection = z.infer<typeof assetCollectionSchema>;

const numberList = (count: number) =>
  z
    .string()
    .transform((text) => text.split(',').map(Number))
    .pipe(z.array(z.number()).length(count));

/** At most this many ids in one `?ids=` list: the list travels in the address, which servers cap at 16 KiB. */
export const MAX_ASSET_IDS = 100;

export const assetQuerySchema = pageQuerySchema
  .extend({
    ids: z
      .string()
      .transform((text) => text.split(','))
      .pipe(z.array(z.uuid()).min(1).max(MAX_ASSET_IDS))
      .optional()
      .describe(`These assets only: up to ${String(MAX_ASSET_IDS)} ids, comma-separated`),
    kind: z.enum(assetKinds).optional(),
    zoneId: z.uuid().optional(),
    q: z.string().trim().min(1).max(100).optional().describe('Matches code or name'),
    tag: tagSchema.optional().describe('Assets with this tag (`key` matches every value of the key)'),
    bbox: numberList(4)
      .refine(
        ([w = 0, s = 0, e = 0, n = 0]) => w < e && s < n && w >= -180 && e <= 180 && s >= -90 && n <= 90,
        {
          message: 'bbox is west,south,east,north in degrees',
        },
      )
      .optional()
      .describe('west,south,east,north'),
    near: numberList(2)
      .refine(([lng = 0, lat = 0]) => Math.abs(lng) <= 180 && Math.abs(lat) <= 90, {
        message: 'near is longitude,latitude',
      })
      .optional()
      .describe('longitude,latitude; with radius'),
    radius: z.coerce.number().positive().max(100_000).optional().describe('Metres around `near`'),
    archived: archivedQuerySchema,
  })
  .refine((query) => (query.near === undefined) === (query.radius === undefined), {
    message: 'near and radius go together',
    path: ['radius'],
  });
export type AssetQuery = z.infer<typeof assetQuerySchema>;

const assetInputProperties = z.strictObject({
  code: codeSchema,
  name: safeTextSchema(200),
  kind: z.enum(assetKinds),
  zoneId: z.uuid().nullable().optional(),
  diameterMm: z.number().int().min(10).max(5000).nullable().optional(),
  material: z.enum(pipeMaterials).nullable().optional(),
  fromAssetId: z.uuid().nullable().optional(),
  toAssetId: z.uuid().nullable().optional(),
  installedOn: z.iso.date().nullable().optional(),
  attributes: jsonbObjectSchema(z.unknown()).optional(),
  tags: tagListSchema.optional(),
});

const checkKindMatchesGeometry = (feature: {
  geometry: { type: string };
  properties: { kind: string; diameterMm?: number | null | undefined };
}): boolean =>
  feature.properties.kind === 'pipeline'
    ? feature.geometry.type === 'LineString' && feature.properties.diameterMm != null
    : feature.geometry.type === 'Point' &&
      (pointAssetKinds as readonly string[]).includes(feature.properties.kind);

const kindMessage = {
  message: 'a pipeline is a LineString with diameterMm; every other kind is a Point',
  path: ['geometry'],
};

export const assetInputSchema = z
  .strictObject({
    type: z.literal('Feature'),
    id: z.union([z.string(), z.number()]).optional(),
    geometry: z.discriminatedUnion('type', [pointGeometrySchema, lineStringGeometrySchema]),
    properties: assetInputProperties,
  })
  .refine(checkKindMatchesGeometry, kindMessage)
  .meta({ id: 'AssetInput' });
export type AssetInput = z.infer<typeof assetInputSchema>;

export const assetUpdateSchema = z
  .strictObject({
    name: safeTextSchema(200).optional(),
    zoneId: z.uuid().nullable().optional(),
    geometry: z.discriminatedUnion('type', [pointGeometrySchema, lineStringGeometrySchema]).optional(),
    diameterMm: z.number().int().min(10).max(5000).optional(),
    material: z.enum(pipeMaterials).nullable().optional(),
    installedOn: z.iso.date().nullable().optional(),
    attributes: jsonbObjectSchema(z.unknown()).optional(),
    tags: tagListSchema.optional().describe("Replaces the asset's tags"),
  })
  .meta({ id: 'AssetUpdate' });
export type AssetUpdate = z.infer<typeof assetUpdateSchema>;

export const maintenanceModeSchema = z
  .strictObject({ inMaintenance: z.boolean(), reason: z.string().trim().max(500).optional() })
  .meta({ id: 'MaintenanceMode' });

export const assetImportSchema = z
  .strictObject({
    type: z.literal('FeatureCollection'),
    features: z.array(assetInputSchema).min(1).max(50_000),
  })
  .meta({ id: 'AssetImport', description: 'Creates each feature, or updates the asset with the same code' });

export const assetImportResultSchema = z
  .object({ created: z.number().int(), updated: z.number().int() })
  .meta({ id: 'AssetImportResult' });
