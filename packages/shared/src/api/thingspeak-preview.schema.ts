import { z } from 'zod';
import { putThingSpeakBindingSchema } from './device.schema.ts';
import { readingRejectionReasons } from './telemetry.schema.ts';

/** Entries a ThingSpeak preview reads at most. */
export const THINGSPEAK_PREVIEW_MAX_RESULTS = 100;

const binding = putThingSpeakBindingSchema.shape;

/** A binding as the editor has it, before saving: one read of the channel shows what it would store. */
export const thingSpeakPreviewRequestSchema = z
  .strictObject({
    channelId: binding.channelId,
    readApiKey: binding.readApiKey
      .unwrap()
      .optional()
      .describe('null: a public channel; absent: the key stored with the device’s binding of this channel'),
    fields: binding.fields,
    results: z.int().min(1).max(THINGSPEAK_PREVIEW_MAX_RESULTS).default(10).describe('the newest entries'),
  })
  .meta({ id: 'ThingSpeakPreviewRequest' });
export type ThingSpeakPreviewRequest = z.infer<typeof thingSpeakPreviewRequestSchema>;

/** Why a value would not be stored: ThingSpeak sent nothing or no number, or ingest would refuse it. */
export const thingSpeakValueRejections = ['missing', ...readingRejectionReasons] as const;
export type ThingSpeakValueRejection = (typeof thingSpeakValueRejections)[number];

export const thingSpeakPreviewValueSchema = z.object({
  field: z.int(),
  metricKey: z.string(),
  /** As ThingSpeak sent it. */
  raw: z.string().nullable(),
  /** `raw * scale + offset`; null when the raw value is not a number. */
  mapped: z.number().nullable(),
  /** What ingest would store (after the series' calibration); null when it would refuse the value. */
  stored: z.number().nullable(),
  rejected: z.enum(thingSpeakValueRejections).nullable(),
});
export type ThingSpeakPreviewValue = z.infer<typeof thingSpeakPreviewValueSchema>;

export const thingSpeakPreviewSchema = z
  .object({
    channelId: z.int(),
    entries: z
      .array(
        z.object({
          entryId: z.int(),
          createdAt: z.string(),
          /** field1..field8 as ThingSpeak sent them, by field number. */
          fields: z.record(z.string(), z.string().nullable()),
          values: z.array(thingSpeakPreviewValueSchema),
        }),
      )
      .describe('newest last'),
    /** Entries without a valid id or time, left out as the poller would. */
    malformedEntries: z.int(),
  })
  .meta({
    id: 'ThingSpeakPreview',
    description: 'One read of a channel mapped as a binding would; nothing stored',
  });
export type ThingSpeakPreview = z.infer<typeof thingSpeakPreviewSchema>;
