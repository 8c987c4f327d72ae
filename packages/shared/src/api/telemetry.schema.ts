import { z } from 'zod';

/** A reading's time: ISO 8601 with an offset, or epoch milliseconds. Absent: the time it arrived. */
export const readingTimeSchema = z.union([
  z.iso.datetime({ offset: true }),
  z.number().int().min(0).max(8.64e15),
]);

/** One message from a device: a time and the values of some of its metrics, by metric key. */
export const readingMessageSchema = z
  .strictObject({
    ts: readingTimeSchema.optional(),
    values: z
      .record(
        z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'metric keys are lower_snake_case'),
        z.union([z.number(), z.boolean()]),
      )
      .refine((values) => Object.keys(values).length > 0, 'at least one value')
      .refine((values) => Object.keys(values).length <= 64, 'at most 64 values a message'),
  })
  .meta({ id: 'ReadingMessage' });
export type ReadingMessage = z.infer<typeof readingMessageSchema>;

/** What `devices/{id}/telemetry` and POST /ingest accept: one message or up to 1,000 of them. */
export const telemetryPayloadSchema = z
  .union([readingMessageSchema, z.array(readingMessageSchema).min(1).max(1000)])
  .meta({ id: 'TelemetryPayload' });
export type TelemetryPayload = z.infer<typeof telemetryPayloadSchema>;

export const readingRejectionReasons = [
  'unknown_metric',
  'out_of_range',
  'too_far_in_future',
  'too_old',
  'not_a_number',
  'overflow',
  'underflow',
] as const;
export type ReadingRejectionReason = (typeof readingRejectionReasons)[number];

/**
 * The magnitudes a stored reading may have, after calibration, whatever the metric's own range: zero, or between
 * `minReadingMagnitude` and `maxReadingMagnitude`. No instrument reads beyond them, and within them sums, means
 * and variances of any number of readings stay finite and never underflow (a mean of 5e-324 and 0 cannot be
 * represented). A value beyond (or one that calibration makes infinite) is rejected as `overflow`, a non-zero one
 * below as `underflow`.
 */
export const maxReadingMagnitude = 1e100;
export const minReadingMagnitude = 1e-100;

export const ingestResultSchema = z
  .object({
    accepted: z.number().int().describe('Readings stored (a re-sent reading counts here and is stored once)'),
    rejected: z.array(
      z.object({ message: z.number().int(), metric: z.string(), reason: z.enum(readingRejectionReasons) }),
    ),
  })
  .meta({ id: 'IngestResult' });
export type IngestResult = z.infer<typeof ingestResultSchema>;

export const telemetryResolutions = ['raw', '1m', '1h'] as const;
export type TelemetryResolution = (typeof telemetryResolutions)[number];

export const telemetryQuerySchema = z
  .object({
    series: z
      .string()
      .transform((text) => text.split(',').map(Number))
      .pipe(z.array(z.number().int().positive().max(2_147_483_647)).min(1).max(20)),
    from: z.iso.datetime({ offset: true }),
    to: z.iso.datetime({ offset: true }),
    maxPoints: z.coerce.number().int().min(10).max(20_000).default(1000),
    format: z.enum(['json', 'csv']).default('json'),
  })
  .refine((q) => Date.parse(q.from) < Date.parse(q.to), { message: 'from must be before to', path: ['to'] })
  .refine((q) => Date.parse(q.to) - Date.parse(q.from) <= 5 * 366 * 86_400_000, {
    message: 'at most five years at once',
    path: ['from'],
  });
export type TelemetryQuery = z.infer<typeof telemetryQuerySchema>;

/** [time (ISO), mean, min, max, count] per bucket; a raw reading has min = max = mean and count 1. */
export const telemetryPointSchema = z.tuple([
  z.string(),
  z.number(),
  z.number(),
  z.number(),
  z.number().int(),
]);

export const telemetrySeriesSchema = z.object({
  seriesId: z.number().int(),
  metricKey: z.string(),
  unit: z.string(),
  resolution: z.enum(telemetryResolutions),
  bucketSeconds: z.number().int().describe('0 for raw readings'),
  points: z.array(telemetryPointSchema),
});

export const telemetryResponseSchema = z
  .object({ from: z.string(), to: z.string(), series: z.array(telemetrySeriesSchema) })
  .meta({ id: 'TelemetryResponse' });
export type TelemetryResponse = z.infer<typeof telemetryResponseSchema>;
