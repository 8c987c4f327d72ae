import { z } from 'zod';
import { safeTextSchema } from './common.ts';
import { readingRejectionReasons } from './telemetry.schema.ts';

/** The MQTT formats of network servers: ChirpStack v4 (JSON encoding) and The Things Stack v3. */
export const lorawanFormats = ['chirpstack', 'tts'] as const;
export type LorawanFormat = (typeof lorawanFormats)[number];

/** A DevEUI as 16 hex digits, any case, with or without separators; stored lower case without them. */
export const devEuiSchema = z
  .string()
  .transform((text) => text.replace(/[-:\s]/g, '').toLowerCase())
  .pipe(z.string().regex(/^[0-9a-f]{16}$/, 'a DevEUI is 16 hexadecimal digits'));

/** A dotted path into the decoded payload: `pressure_bar`, `sensors.0.value`. */
export const payloadPathSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9_$-]{1,64}(\.[A-Za-z0-9_$-]{1,64}){0,7}$/,
    'a dotted path of names and indexes, such as sensors.0.value',
  );

const brokerUrlSchema = z
  .string()
  .max(500)
  .regex(
    /^mqtts?:\/\/[^\s/?#@]+(:\d{1,5})?\/?$/,
    'mqtt://host:port or mqtts://host:port, without credentials',
  );

export const lorawanApplicationSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    format: z.enum(lorawanFormats),
    brokerUrl: z.string(),
    username: z.string().nullable(),
    hasPassword: z.boolean(),
    networkApplicationId: z.string(),
    enabled: z.boolean(),
    devices: z.int().describe('devices mapped to the application'),
    state: z.object({
      /** Whether an instance holds it now (its lease runs). */
      claimed: z.boolean(),
      connected: z.boolean(),
      connectedAt: z.string().nullable(),
      lastMessageAt: z.string().nullable(),
      lastError: z.string().nullable(),
      lastErrorAt: z.string().nullable(),
      consecutiveFailures: z.int(),
      /** Set while reconnecting is paused after repeated failures. */
      circuitOpenUntil: z.string().nullable(),
    }),
  })
  .meta({ id: 'LorawanApplication' });
export type LorawanApplication = z.infer<typeof lorawanApplicationSchema>;

export const createLorawanApplicationSchema = z
  .strictObject({
    name: safeTextSchema(200),
    format: z.enum(lorawanFormats),
    brokerUrl: brokerUrlSchema,
    username: z.string().min(1).max(200).nullable().default(null),
    /** Stored sealed, never returned. */
    password: z.string().min(1).max(1000).nullable().default(null),
    networkApplicationId: z
      .string()
      .regex(/^[A-Za-z0-9@._-]{1,128}$/, 'letters, digits and @ . _ - (it becomes part of topic names)'),
    enabled: z.boolean().default(true),
  })
  .meta({ id: 'CreateLorawanApplication' });

export const updateLorawanApplicationSchema = z
  .strictObject({
    name: safeTextSchema(200).optional(),
    brokerUrl: brokerUrlSchema.optional(),
    username: z.string().min(1).max(200).nullable().optional(),
    /** Left out: the stored password stays; null removes it. */
    password: z.string().min(1).max(1000).nullable().optional(),
    networkApplicationId: z
      .string()
      .regex(/^[A-Za-z0-9@._-]{1,128}$/)
      .optional(),
    enabled: z.boolean().optional(),
  })
  .meta({ id: 'UpdateLorawanApplication' });

export const lorawanMetricMappingSchema = z.strictObject({
  path: payloadPathSchema,
  metricKey: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/),
  scale: z.number().default(1),
  offset: z.number().default(0),
});

export const putLorawanDeviceSchema = z
  .strictObject({
    lorawanApplicationId: z.uuid(),
    devEui: devEuiSchema,
    networkDeviceId: z
      .string()
      .regex(/^[a-z0-9](?:-?[a-z0-9]){1,35}$/, 'a Things Stack device id')
      .nullable()
      .default(null)
      .describe('The Things Stack only: its device id, for downlinks (learned from uplinks when null)'),
    fPort: z.int().min(1).max(223).default(10).describe('port of downlink commands'),
    confirmed: z.boolean().default(true).describe('confirmed downlinks: acknowledged by the device itself'),
    mappings: z
      .array(lorawanMetricMappingSchema)
      .min(1)
      .max(32)
      .refine((m) => new Set(m.map((x) => x.path)).size === m.length, 'each path once')
      .refine((m) => new Set(m.map((x) => x.metricKey)).size === m.length, 'each metric once'),
  })
  .meta({ id: 'PutLorawanDevice' });

export const lorawanDeviceSchema = z
  .object({
    deviceId: z.uuid(),
    lorawanApplicationId: z.uuid(),
    devEui: z.string(),
    networkDeviceId: z.string().nullable(),
    fPort: z.int(),
    confirmed: z.boolean(),
    mappings: z.array(
      z.object({
        path: z.string(),
        seriesId: z.int(),
        metricKey: z.string(),
        scale: z.number(),
        offset: z.number(),
      }),
    ),
    state: z.object({
      devAddr: z.string().nullable(),
      joinedAt: z.string().nullable(),
      /** Percent, from the device-status answer; null when the device cannot tell. */
      batteryLevel: z.number().nullable(),
      externalPower: z.boolean().nullable(),
      /** Demodulation margin (dB) of the last device-status answer. */
      margin: z.int().nullable(),
      statusAt: z.string().nullable(),
      lastFCnt: z.int().nullable(),
      lastUplinkAt: z.string().nullable(),
    }),
  })
  .meta({ id: 'LorawanDevice' });
export type LorawanDevice = z.infer<typeof lorawanDeviceSchema>;

/** What became of an uplink: stored, or why not. */
export const lorawanUplinkOutcomes = [
  'stored',
  'unknown_device',
  'undecodable',
  'refused',
  'disabled_device',
] as const;
export type LorawanUplinkOutcome = (typeof lorawanUplinkOutcomes)[number];

export const lorawanUplinkSchema = z.object({
  devEui: z.string(),
  deviceId: z.uuid().nullable(),
  fCnt: z.int(),
  fPort: z.int().nullable(),
  time: z.string(),
  receivedAt: z.string(),
  /** The decoded payload as the network server sent it. */
  payload: z.unknown().nullable(),
  outcome: z.enum(lorawanUplinkOutcomes),
  /** Metric → value as stored. */
  stored: z.record(z.string(), z.number()).nullable(),
});

export const lorawanUplinkListSchema = z
  .object({ items: z.array(lorawanUplinkSchema).describe('newest first') })
  .meta({ id: 'LorawanUplinks' });

export const lorawanUplinkQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

/** Why a mapped value would not be stored: absent from the payload, not a number, or ingest would refuse it. */
export const lorawanValueRejections = ['missing', 'not_a_number', ...readingRejectionReasons] as const;

/** A device's mapping tried on the uplinks already received from its DevEUI, before it is saved. */
export const lorawanPreviewRequestSchema = putLorawanDeviceSchema
  .pick({ lorawanApplicationId: true, devEui: true, mappings: true })
  .extend({ uplinks: z.int().min(1).max(50).default(10) })
  .meta({ id: 'LorawanPreviewRequest' });

export const lorawanPreviewSchema = z
  .object({
    uplinks: z
      .array(
        z.object({
          fCnt: z.int(),
          time: z.string(),
          payload: z.unknown().nullable(),
          values: z.array(
            z.object({
              path: z.string(),
              metricKey: z.string(),
              /** As the payload holds it. */
              raw: z.unknown().nullable(),
              /** `raw * scale + offset`. */
              mapped: z.number().nullable(),
              /** After the series' calibration, as ingest would store it. */
              stored: z.number().nullable(),
              rejected: z.enum(lorawanValueRejections).nullable(),
            }),
          ),
        }),
      )
      .describe('newest first'),
  })
  .meta({
    id: 'LorawanPreview',
    description: 'Received uplinks mapped as the device would be; nothing stored',
  });
export type LorawanPreview = z.infer<typeof lorawanPreviewSchema>;
