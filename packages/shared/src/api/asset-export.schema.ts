import { z } from 'zod';
import { assetKinds } from '../domain/assets.ts';
import { assetInputSchema } from './asset.schema.ts';

/** An export holds at most what one import takes. */
export const ASSET_EXPORT_MAX_FEATURES = 50_000;

export const assetExportQuerySchema = z.object({
  kind: z.enum(assetKinds).optional(),
  zoneId: z.uuid().optional(),
  q: z.string().trim().min(1).max(100).optional().describe('Matches code or name'),
});
export type AssetExportQuery = z.infer<typeof assetExportQuerySchema>;

/**
 * The assets as a GeoJSON FeatureCollection that `POST /assets/import` takes back as it is: each feature's `id`
 * is the asset's id, and a pipeline's `fromAssetId` / `toAssetId` naming a feature of the same file are resolved
 * to that feature's asset on import, so the network comes back whole after its assets were deleted.
 */
export const assetExportSchema = z
  .object({
    type: z.literal('FeatureCollection'),
    features: z.array(assetInputSchema).max(ASSET_EXPORT_MAX_FEATURES),
  })
  .meta({ id: 'AssetExport' });
export type AssetExport = z.infer<typeof assetExportSchema>;
