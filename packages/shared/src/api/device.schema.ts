import { z } from 'zod';
import { deviceConnectivities, deviceTransports, metricKinds } from '../domain/devices.ts';
import { codeSchema, pageQuerySchema, safeTextSchema } from './common.ts';
import { tagListSchema, tagSchema } from './tag.schema.ts';

export const deviceSchema = z
  .object({
    id: z.uuid(),
    assetId: z.uuid().nullable(),
    name: z.string(),
    serialNumber: z.string().nullable(),
    transport: z.enum(deviceTransports),
    firmwareVersion: z.string().nullable(),
    disabled: z.boolean(),
    credentialRotatedAt: z.string().nullable(),
    connectivity: z.enum(deviceConnectivities),
    lastSeenAt: z.string().nullable(),
    series: z.array(z.object({ id: z.number().int(), metricKey: z.string(), unit: z.string() })),
    tags: z.array(z.string()),
  })
  .meta({ id: 'Device' });
export type Device = z.infer<typeof deviceSchema>;

export const deviceQuerySchema = pageQuerySchema.extend({
  assetId: z.uuid().optional(),
  transport: z.enum(deviceTransports).optional(),
  tag: tagSchema.optional().describe('Devices with this tag (`key` matches every value of the key)'),
});

export const provisionDeviceSchema = z
  .strictObject({
    name: safeTextSchema(200),
    assetId: z.uuid().nullable().default(null),
    serialNumber: codeSchema.nullable().default(null),
    transport: z.enum(deviceTransports).default('mqtt'),
    metricKeys: z
      .array(z.string().regex(/^[a-z][a-z0-9_]{0,63}$/))
      .max(64)
      .default([]),
    tags: tagListSchema.default([]),
  })
  .meta({ id: 'ProvisionDevice' });

export const updateDeviceSchema = z
  .strictObject({
    name: safeTextSchema(200).optional(),
    assetId: z.uuid().nullable().optional(),
    disabled: z.boolean().optional(),
    metricKeys: z
      .array(z.string().regex(/^[a-z][a-z0-9_]{0,63}$/))
      .max(64)
      .optional()
      .describe('Adds series for these metrics; existing series are kept'),
    tags: tagListSchema.optional().describe("Replaces the device's tags"),
  })
  .meta({ id: 'UpdateDevice' });

/** Returned once, at provisioning and rotation: the secret is not stored and cannot be shown again. */
export const deviceCredentialsSchema = z
  .object({ device: deviceSchema, secret: z.string().nullable() })
  .meta({ id: 'DeviceCredentials' });

export const metricSchema = z
  .object({
    id: z.uuid(),
    key: z.string(),
    name: z.string(),
    unit: z.string(),
    kind: z.enum(metricKinds),
    validMin: z.number().nullable(),
    validMax: z.number().nullable(),
    decimals: z.number().int(),
  })
  .meta({ id: 'Metric' });
export type Metric = z.infer<typeof metricSchema>;

export const createMetricSchema = z
  .strictObject({
    key: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/),
    name: safeTextSchema(200),
    unit: z.string().max(32).default(''),
    kind: z.enum(metricKinds).default('gauge'),
    validMin: z.number().nullable().default(null),
    validMax: z.number().nullable().default(null),
    decimals: z.number().int().min(0).max(9).default(2),
  })
  .refine((m) => m.validMin === null || m.validMax === null || m.validMin < m.validMax, {
    message: 'validMin must be below validMax',
    path: ['validMax'],
  })
  .meta({ id: 'CreateMetric' });

export const thingSpeakFieldMappingSchema = z.strictObject({
  field: z.number().int().min(1).max(8),
  metricKey: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/),
  scale: z.number().default(1),
  offset: z.number().default(0),
});

export const thingSpeakBindingSchema = z
  .object({
    id: z.uuid(),
    deviceId: z.uuid(),
    channelId: z.number().int(),
    hasReadKey: z.boolean(),
    pollIntervalS: z.number().int(),
    enabled: z.boolean(),
    lastEntryId: z.number().int().nullable(),
    lastPolledAt: z.string().nullable(),
    lastError: z.string().nullable(),
    fields: z.array(
      z.object({
        field: z.number().int(),
        seriesId: z.number().int(),
        metricKey: z.string(),
        scale: z.number(),
        offset: z.number(),
      }),
    ),
  })
  .meta({ id: 'ThingSpeakBinding' });
export type ThingSpeakBinding = z.infer<typeof thingSpeakBindingSchema>;

export const putThingSpeakBindingSchema = z
  .strictObject({
    channelId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
    /**
     * The key is never shown again, so an editor cannot send it back: left out, the stored one stays (for the
     * same channel); null removes it.
     */
    readApiKey: z
      .string()
      .regex(/^[A-Z0-9]{16}$/, 'a ThingSpeak read key is 16 capitals and digits')
      .nullable()
      .optional(),
    pollIntervalS: z.number().int().min(15).max(86_400).default(60),
    enabled: z.boolean().default(true),
    fields: z
      .array(thingSpeakFieldMappingSchema)
      .min(1)
      .max(8)
      .refine((fields) => new Set(fields.map((f) => f.field)).size === fields.length, 'each field once')
      .refine((fields) => new Set(fields.map((f) => f.metricKey)).size === fields.length, 'each metric once'),
  })
  .meta({ id: 'PutThingSpeakBinding' });
