import { z } from 'zod';
import { timestampSchema } from './common.ts';

/** A boundary meter counts into the DMA (inlet) or out of it (outlet). */
export const dmaMeterDirections = ['inlet', 'outlet'] as const;
export type DmaMeterDirection = (typeof dmaMeterDirections)[number];

/** Flow units a DMA meter may read in, with litres per hour in one of each. */
export const flowUnitsLph: Readonly<Record<string, number>> = {
  'L/min': 60,
  'l/min': 60,
  lpm: 60,
  'L/s': 3600,
  'l/s': 3600,
  'L/h': 1,
  'l/h': 1,
  'm3/h': 1000,
  'm³/h': 1000,
  'm3/d': 1000 / 24,
  'm³/d': 1000 / 24,
  MLD: 1_000_000 / 24,
};

export const dmaMeterSchema = z.object({
  seriesId: z.int(),
  direction: z.enum(dmaMeterDirections),
  /** The meter's asset name, else its device's. */
  label: z.string(),
  metricKey: z.string(),
  unit: z.string(),
});
export type DmaMeter = z.infer<typeof dmaMeterSchema>;

export const dmaSchema = z
  .object({
    zoneId: z.uuid(),
    code: z.string(),
    name: z.string(),
    connections: z.int(),
    /** The night window, whole hours of the tenant's local time: [nightStartHour, nightEndHour). */
    nightStartHour: z.int(),
    nightEndHour: z.int(),
    /** Legitimate night use per connection, litres per hour. */
    legitimateNightUseLph: z.number(),
    meters: z.array(dmaMeterSchema),
  })
  .meta({ id: 'Dma' });
export type Dma = z.infer<typeof dmaSchema>;

/** Makes a zone of kind `dma` a district metered area, or changes one: its meters are replaced as given. */
export const putDmaSchema = z
  .strictObject({
    connections: z.int().min(0).max(10_000_000),
    nightStartHour: z.int().min(0).max(23).default(2),
    nightEndHour: z.int().min(1).max(24).default(4),
    legitimateNightUseLph: z.number().min(0).max(100_000).default(1.7),
    meters: z
      .array(z.strictObject({ seriesId: z.int().positive(), direction: z.enum(dmaMeterDirections) }))
      .min(1)
      .max(100),
  })
  .refine((d) => d.nightEndHour > d.nightStartHour, {
    message: 'the night window ends after it starts, within one night',
    path: ['nightEndHour'],
  })
  .refine((d) => new Set(d.meters.map((m) => m.seriesId)).size === d.meters.length, {
    message: 'a meter is listed once',
    path: ['meters'],
  })
  .meta({ id: 'PutDma' });
export type PutDma = z.infer<typeof putDmaSchema>;

export const dmaZoneParamsSchema = z.strictObject({ zoneId: z.uuid() });

export const dmaBalanceResolutions = ['hour', 'day'] as const;
export type DmaBalanceResolution = (typeof dmaBalanceResolutions)[number];

/** Hours of balance one request may ask for: 31 days of hours, or 400 days. */
export const DMA_BALANCE_MAX_BUCKETS = 31 * 24;

export const dmaBalanceQuerySchema = z
  .object({
    from: timestampSchema,
    to: timestampSchema,
    resolution: z.enum(dmaBalanceResolutions).default('hour'),
  })
  .refine((q) => Date.parse(q.from) < Date.parse(q.to), { message: 'from is before to', path: ['to'] })
  .refine(
    (q) =>
      Date.parse(q.to) - Date.parse(q.from) <=
      (q.resolution === 'hour' ? DMA_BALANCE_MAX_BUCKETS : 400 * 24) * 3_600_000,
    { message: 'at most 31 days of hours or 400 days', path: ['to'] },
  );
export type DmaBalanceQuery = z.infer<typeof dmaBalanceQuerySchema>;

export const dmaBalanceBucketSchema = z.object({
  /** Start of the local hour or day. */
  start: z.string(),
  /** Litres in through the inlets, out through the outlets, and the difference (what the DMA used or lost). */
  inflowL: z.number(),
  outflowL: z.number(),
  netL: z.number(),
  /** Every meter reported in every hour of the bucket. */
  complete: z.boolean(),
});
export type DmaBalanceBucket = z.infer<typeof dmaBalanceBucketSchema>;

export const dmaBalanceSchema = z
  .object({
    zoneId: z.uuid(),
    timeZone: z.string(),
    resolution: z.enum(dmaBalanceResolutions),
    buckets: z.array(dmaBalanceBucketSchema),
  })
  .meta({
    id: 'DmaBalance',
    description:
      'Water balance of a DMA per local hour or day. A meter contributes its mean flow over each hour times ' +
      'the hour; buckets without readings of some meter are marked incomplete.',
  });
export type DmaBalance = z.infer<typeof dmaBalanceSchema>;

export const dmaNightsQuerySchema = z.object({ nights: z.coerce.number().int().min(1).max(90).default(30) });

export const dmaNightSchema = z.object({
  /** The local date the window falls on. */
  date: z.iso.date(),
  windowStart: z.string(),
  windowEnd: z.string(),
  /** The lowest net inflow over a whole hour of the window, litres per hour; null if the night is incomplete. */
  minNightFlowLph: z.number().nullable(),
  /** Connections × legitimate night use per connection. */
  legitimateNightUseLph: z.number(),
  /** Minimum night flow beyond legitimate use (not below 0). */
  leakageLph: z.number().nullable(),
  leakagePerConnectionLph: z.number().nullable(),
  complete: z.boolean(),
});
export type DmaNight = z.infer<typeof dmaNightSchema>;

export const dmaNightsSchema = z
  .object({
    zoneId: z.uuid(),
    timeZone: z.string(),
    /** Oldest first; only nights whose window has ended. */
    nights: z.array(dmaNightSchema),
    /** Robust (Theil–Sen) trend of the leakage over the nights, litres per hour per day; null with < 3 nights. */
    leakageTrendLphPerDay: z.number().nullable(),
  })
  .meta({ id: 'DmaNights' });
export type DmaNights = z.infer<typeof dmaNightsSchema>;

export const dmaLeagueRowSchema = z.object({
  zoneId: z.uuid(),
  code: z.string(),
  name: z.string(),
  connections: z.int(),
  /** The last complete night, or null when the DMA has none in the last eight. */
  date: z.iso.date().nullable(),
  minNightFlowLph: z.number().nullable(),
  leakageLph: z.number().nullable(),
  leakagePerConnectionLph: z.number().nullable(),
  /** Leakage of that night against the median of the complete nights of the week before, litres per hour. */
  changeLph: z.number().nullable(),
  /** 1 = most leakage per connection; null without a night. */
  rankByLeakage: z.int().nullable(),
  /** 1 = largest rise; null without a change. */
  rankByChange: z.int().nullable(),
});
export type DmaLeagueRow = z.infer<typeof dmaLeagueRowSchema>;

export const dmaLeagueSchema = z
  .object({ timeZone: z.string(), rows: z.array(dmaLeagueRowSchema) })
  .meta({ id: 'DmaLeague', description: 'DMAs ranked by leakage per connection (rows in that order)' });
export type DmaLeague = z.infer<typeof dmaLeagueSchema>;

export const assetForecastQuerySchema = z.object({
  windowS: z.coerce
    .number()
    .int()
    .min(300)
    .max(6 * 3600)
    .default(1800)
    .describe('Seconds of recent readings the trend is fitted to'),
});

export const levelForecastSchema = z.object({
  seriesId: z.int(),
  metricKey: z.string(),
  unit: z.string(),
  /** When the forecast was made. */
  at: z.string(),
  /** Readings in the window; null fields below when there were too few for a trend. */
  points: z.int(),
  level: z.number().nullable(),
  ratePerMin: z.number().nullable(),
  fullLevel: z.number().nullable(),
  emptyLevel: z.number().nullable(),
  /** Seconds until full / empty if the trend holds; null when not heading there. */
  timeToFullS: z.number().nullable(),
  timeToEmptyS: z.number().nullable(),
});
export type LevelForecastView = z.infer<typeof levelForecastSchema>;

export const assetForecastSchema = z
  .object({ assetId: z.uuid(), series: z.array(levelForecastSchema) })
  .meta({
    id: 'AssetForecast',
    description:
      'Time to full and to empty of a tank, sump or reservoir from a robust (Theil–Sen) trend of its level ' +
      'readings; full is the asset attribute overflowCm (else heightCm), empty is emptyCm (else 0)',
  });
export type AssetForecast = z.infer<typeof assetForecastSchema>;
