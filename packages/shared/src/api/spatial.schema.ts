import { z } from 'zod';
import { assetKinds } from '../domain/assets.ts';
import { polygonGeometrySchema, positionSchema } from './common.ts';

/**
 * How a map symbol shows the worst open alert of its asset: 0 none, then low, medium, high, critical (4).
 * The renderer maps these codes to colours; the order lets "worst" be a plain maximum.
 */
export const mapAlertLevels = ['none', 'low', 'medium', 'high', 'critical'] as const;
export type MapAlertLevel = (typeof mapAlertLevels)[number];

const intColumn = z.array(z.number().int());

/**
 * The tenant's point assets as parallel columns: entry `i` of every array describes asset `i`, and
 * `positions[2i], positions[2i + 1]` are its longitude and latitude. Columns, not one object per asset, so
 * 100,000 assets arrive in one compact body the renderer turns into typed arrays without walking objects.
 */
export const mapPointColumnsSchema = z.object({
  count: z.number().int(),
  ids: z.array(z.uuid()),
  codes: z.array(z.string()),
  names: z.array(z.string()),
  /** Index into `pointAssetKinds`. */
  kinds: intColumn,
  positions: z.array(z.number()),
  /** Index into `mapAlertLevels`. */
  alertLevels: intColumn,
  /** 1 when an open alert of the asset still needs an acknowledgement. */
  unacknowledged: intColumn,
  inMaintenance: intColumn,
});

/**
 * Pipelines as columns: pipe `i` runs over the coordinates `pathStarts[i] .. pathStarts[i + 1]` (exclusive; the
 * last pipe ends at `coordinates.length / 2`) of the flat `[lng, lat, lng, lat, ...]` array.
 */
export const mapPipeColumnsSchema = z.object({
  count: z.number().int(),
  ids: z.array(z.uuid()),
  codes: z.array(z.string()),
  diametersMm: intColumn,
  /** Index into `pipeMaterials`, or -1 when unknown. */
  materials: intColumn,
  alertLevels: intColumn,
  unacknowledged: intColumn,
  inMaintenance: intColumn,
  pathStarts: intColumn,
  coordinates: z.array(z.number()),
});

export const mapLayersSchema = z
  .object({
    points: mapPointColumnsSchema,
    pipes: mapPipeColumnsSchema,
    /** west, south, east, north of everything visible, or null for an empty tenant. */
    bbox: z.tuple([z.number(), z.number(), z.number(), z.number()]).nullable(),
  })
  .meta({ id: 'MapLayers' });
export type MapLayers = z.infer<typeof mapLayersSchema>;
export type MapPointColumns = z.infer<typeof mapPointColumnsSchema>;
export type MapPipeColumns = z.infer<typeof mapPipeColumnsSchema>;

/**
 * Where the console's basemap comes from: a tile server's MapLibre style, else the street basemap this server
 * serves from its own tile archive (`offlineStylePath`, relative to the server), else null for Natural Earth.
 */
export const mapStyleSchema = z
  .object({
    styleUrl: z.url().nullable(),
    offlineStylePath: z.string().startsWith('/').nullable().optional(),
  })
  .meta({ id: 'MapStyle' });
export type MapStyle = z.infer<typeof mapStyleSchema>;

/**
 * Every origin the map loads from (the style's, and its tiles', glyphs' and sprites'), public so that a console
 * can allow them in its content security policy before anyone signs in. Empty: the offline basemap.
 */
export const mapOriginsSchema = z
  .object({ origins: z.array(z.url({ protocol: /^https?$/ })).max(32) })
  .meta({ id: 'MapOrigins' });
export type MapOrigins = z.infer<typeof mapOriginsSchema>;

/** The most assets an area search returns; a larger answer says `truncated`. */
export const AREA_SEARCH_LIMIT = 5000;

/** An area to search: a drawn polygon, or a circle of `radiusM` metres around `center`. */
export const areaSearchSchema = z
  .strictObject({
    polygon: polygonGeometrySchema.optional(),
    center: positionSchema.optional(),
    radiusM: z.number().positive().max(100_000).optional().describe('Metres around `center`'),
    kind: z.enum(assetKinds).optional(),
  })
  .refine(
    (area) =>
      area.polygon !== undefined
        ? area.center === undefined && area.radiusM === undefined
        : area.center !== undefined && area.radiusM !== undefined,
    { message: 'Give either polygon, or center with radiusM', path: ['polygon'] },
  )
  .refine(
    (area) =>
      (area.polygon?.coordinates ?? []).every((ring) => {
        const first = ring[0];
        const last = ring[ring.length - 1];
        return first !== undefined && last !== undefined && first[0] === last[0] && first[1] === last[1];
      }),
    { message: 'Each ring of the polygon must end where it starts', path: ['polygon'] },
  )
  .meta({ id: 'AreaSearch' });
export type AreaSearch = z.infer<typeof areaSearchSchema>;

export const areaAssetSchema = z.object({
  id: z.uuid(),
  code: z.string(),
  name: z.string(),
  kind: z.enum(assetKinds),
  zoneId: z.uuid().nullable(),
});
export type AreaAsset = z.infer<typeof areaAssetSchema>;

export const areaSearchResultSchema = z
  .object({
    items: z.array(areaAssetSchema),
    /** True when more than `AREA_SEARCH_LIMIT` assets lie in the area; `items` holds the first by code. */
    truncated: z.boolean(),
  })
  .meta({ id: 'AreaSearchResult' });
export type AreaSearchResult = z.infer<typeof areaSearchResultSchema>;

/** What a burst of one pipe affects: every pipe and asset the flow reaches after it. */
export const downstreamTraceSchema = z
  .object({
    pipeId: z.uuid(),
    /** Downstream pipes with their hop count from the burst pipe (the burst pipe itself is 0). */
    pipes: z.array(z.object({ id: z.uuid(), code: z.string(), depth: z.number().int() })),
    /** Point assets fed through those pipes. */
    assets: z.array(z.object({ id: z.uuid(), code: z.string(), kind: z.enum(assetKinds) })),
  })
  .meta({ id: 'DownstreamTrace' });
export type DownstreamTrace = z.infer<typeof downstreamTraceSchema>;

/** The deepest zoom the server cuts network tiles for; the map overzooms beyond it. */
export const MAX_TILE_ZOOM = 22;

/** Below this zoom point assets come as clusters per cell (alarmed ones and lone ones stay single points). */
export const CLUSTER_BELOW_ZOOM = 12;

/**
 * Dense tiles are clustered up to this zoom (exclusive): from CLUSTER_BELOW_ZOOM a tile is drawn asset by asset
 * only when it holds at most MAX_DETAILED_TILE_POINTS points, so a city of a million assets is not a carpet of
 * points cut and drawn for seconds. Up close (from this zoom) every tile is detailed.
 */
export const DENSE_CLUSTER_BELOW_ZOOM = 15;

/**
 * The most points a tile is drawn with one by one between CLUSTER_BELOW_ZOOM and DENSE_CLUSTER_BELOW_ZOOM: one an
 * 8 × 8 pixel square of a 512-pixel tile, where symbols of 8 pixels touch (a carpet, not assets). A detailed tile
 * costs about 25 µs a feature to cut, so this also keeps one near 100 ms.
 */
export const MAX_DETAILED_TILE_POINTS = 4096;

/** One tile of the slippy-map grid: x and y run from 0 to 2^z - 1. */
export const tileParamsSchema = z
  .strictObject({
    z: z.coerce.number().int().min(0).max(MAX_TILE_ZOOM),
    x: z.coerce.number().int().min(0),
    y: z.coerce.number().int().min(0),
  })
  .refine((tile) => tile.x < 2 ** tile.z && tile.y < 2 ** tile.z, { message: 'x and y must be below 2^z' });
export type TileParams = z.infer<typeof tileParamsSchema>;

/**
 * A Mapbox Vector Tile of the tenant's network: layers `zones` (id, code, name, kind), `pipes` (id, code,
 * diameterMm, tier 0 below 200 mm, 1 below 450 mm, 2 trunk mains; alarm; directed: the line runs in the
 * direction of flow), `points` (id, code, kind, alarm 0-4, unacknowledged, inMaintenance) and, below
 * CLUSTER_BELOW_ZOOM, `clusters` (count, alarm, unacknowledged). Below CLUSTER_BELOW_ZOOM a tile holds trunk mains
 * (and from zoom 11 mains of 200 mm and more), at most 2,000 pipes by midpoint, the larger and longer first, plus
 * every pipe in alarm. A tile of zoom 12 to 14 holding more than MAX_DETAILED_TILE_POINTS points is clustered the
 * same way (the mains of zoom 11, clusters, alarmed assets and pipes). 204 when nothing is there.
 */
export const vectorTileSchema = z
  .string()
  .meta({ id: 'VectorTile', description: 'Mapbox Vector Tile (protobuf)', format: 'binary' });

/**
 * The versions map tiles are cut at: `network` changes with every edit or import of assets, pipes or zones,
 * `alarms` with every alert transition. A console refetches its tiles when either moved.
 */
export const mapVersionSchema = z
  .object({ network: z.number().int().nonnegative(), alarms: z.number().int().nonnegative() })
  .meta({ id: 'MapVersion' });
export type MapVersion = z.infer<typeof mapVersionSchema>;

/**
 * Where the caller's network lies, for the console's first camera: west, south, east, north of the visible
 * assets, or null when there are none.
 */
export const mapExtentSchema = z
  .object({ bbox: z.tuple([z.number(), z.number(), z.number(), z.number()]).nullable() })
  .meta({ id: 'MapExtent' });
export type MapExtent = z.infer<typeof mapExtentSchema>;

/** Assets alarmed together, whose common supply is asked for (`POST /spatial/common-upstream`). */
export const commonUpstreamQuerySchema = z
  .strictObject({ assetIds: z.array(z.uuid()).min(1).max(500) })
  .meta({ id: 'CommonUpstreamQuery' });

/**
 * The pipe nearest the assets that every one of them is fed through (following pipes against the flow): where a
 * single fault (a burst, a closed valve) would explain all their alarms. Null when they share none, or when fewer
 * than two of them are fed by pipes at all.
 */
export const commonUpstreamSchema = z
  .object({
    pipe: z
      .object({ id: z.uuid(), code: z.string(), name: z.string(), zoneId: z.uuid().nullable() })
      .nullable(),
    /** How many of the assets asked about are fed through it. */
    fed: z.int(),
  })
  .meta({ id: 'CommonUpstream' });
export type CommonUpstream = z.infer<typeof commonUpstreamSchema>;

/**
 * Where water enters or is stored to feed the network: an asset cut off from all of these loses supply. Pumps are
 * not sources (they move water a source gave them); sumps are not either (a sump is refilled from the network and
 * feeds it only through its pump).
 */
export const supplySourceKinds = ['plant', 'reservoir', 'borewell', 'tank'] as const;

const planAssetSchema = z.object({
  id: z.uuid(),
  code: z.string(),
  kind: z.enum(assetKinds),
  /** Customer service connections fed at this asset (its `connections` attribute), 0 when not recorded. */
  connections: z.int(),
});

/**
 * How to isolate a pipe: the valves to close (the first valves met walking the network out from the pipe through
 * any other kind of asset), the section they shut in with it, and what loses supply once they are closed: every
 * asset and pipe no longer connected to a supply source (see `supplySourceKinds`) over the remaining network.
 * Pipes are taken as two-way, so a loop fed from elsewhere keeps its supply. Computed over the whole tenant
 * network; a zone-limited user sees the parts inside their zones and `hiddenOutsideZones` counts the rest.
 */
export const isolationPlanSchema = z
  .object({
    pipeId: z.uuid(),
    valves: z.array(z.object({ id: z.uuid(), code: z.string(), name: z.string() })),
    /**
     * False when closing the valves cannot shut the pipe off: a supply source lies in the section with no valve
     * between it and the pipe (`unvalvedSources`), so the source itself must be stopped.
     */
    isolated: z.boolean(),
    unvalvedSources: z.array(planAssetSchema),
    /** The pipes and assets between the valves, drained with the pipe (the pipe itself included). */
    section: z.object({
      pipes: z.array(z.object({ id: z.uuid(), code: z.string() })),
      assets: z.array(planAssetSchema),
    }),
    /** Supplied before the valves close and cut off from every source after, outside the section. */
    lostSupply: z.object({
      pipes: z.array(z.object({ id: z.uuid(), code: z.string() })),
      assets: z.array(planAssetSchema),
    }),
    /** Service connections without water: those of the section's and the cut-off assets. */
    connectionsAffected: z.int(),
    hiddenOutsideZones: z.int(),
  })
  .meta({ id: 'IsolationPlan' });
export type IsolationPlan = z.infer<typeof isolationPlanSchema>;
