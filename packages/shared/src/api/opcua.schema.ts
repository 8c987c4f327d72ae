import { z } from 'zod';
import { readingRejectionReasons } from './telemetry.schema.ts';

/** Security policies the connector offers (the deprecated Basic128Rsa15 and Basic256 are left out). */
export const opcuaSecurityPolicies = [
  'None',
  'Basic256Sha256',
  'Aes128_Sha256_RsaOaep',
  'Aes256_Sha256_RsaPss',
] as const;
export type OpcuaSecurityPolicy = (typeof opcuaSecurityPolicies)[number];

export const opcuaSecurityModes = ['None', 'Sign', 'SignAndEncrypt'] as const;
export type OpcuaSecurityMode = (typeof opcuaSecurityModes)[number];

/** none: every change; absolute: a change of at least the value; percent: of the variable's EURange. */
export const opcuaDeadbandTypes = ['none', 'absolute', 'percent'] as const;

/** The holder's session: connected, (re)connecting, refused for an untrusted certificate, failing, or nobody's. */
export const opcuaBindingStates = [
  'idle',
  'connecting',
  'connected',
  'reconnecting',
  'untrusted',
  'failed',
] as const;
export type OpcuaBindingState = (typeof opcuaBindingStates)[number];

export const opcuaCertificateStatuses = ['pending', 'trusted', 'rejected'] as const;
export type OpcuaCertificateStatus = (typeof opcuaCertificateStatuses)[number];

/**
 * A NodeId in the OPC UA string form: an optional namespace (`ns=2;` or `nsu=<uri>;`), then `i=`, `s=`, `g=`
 * or `b=`. The server parses it again before saving.
 * @example opcuaNodeIdSchema.parse('ns=2;s=Tank1.Level')
 */
export const opcuaNodeIdSchema = z
  .string()
  .max(1000)
  .regex(
    // eslint-disable-next-line no-control-regex -- control characters are what the pattern refuses
    /^(?:ns=\d{1,5};|nsu=[^;\u0000-\u001f]{1,500};)?(?:i=\d{1,10}|s=[^\u0000-\u001f]{1,900}|g=[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|b=[A-Za-z0-9+/]{1,900}={0,2})$/,
    'a NodeId such as ns=2;s=Tank1.Level or i=2258',
  );

const metricKeySchema = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/);

export const opcuaEndpointUrlSchema = z
  .string()
  .max(500)
  .regex(/^opc\.tcp:\/\/[^\s/?#]+(?:\/[^\s]*)?$/, 'an endpoint such as opc.tcp://plc-7.plant:4840');

export const opcuaMonitoredItemSchema = z.strictObject({
  nodeId: opcuaNodeIdSchema,
  metricKey: metricKeySchema,
  samplingIntervalMs: z.int().min(0).max(3_600_000).default(1000),
  deadbandType: z.enum(opcuaDeadbandTypes).default('none'),
  deadbandValue: z.number().min(0).max(1e12).default(0),
  scale: z.number().min(-1e12).max(1e12).default(1),
  offset: z.number().min(-1e12).max(1e12).default(0),
});
export type OpcuaMonitoredItemInput = z.infer<typeof opcuaMonitoredItemSchema>;

/**
 * A command the binding carries: `write` writes `params.value` to the variable `nodeId`; `call` calls the
 * method `nodeId` on `objectNodeId` with the params named as the method's input arguments.
 */
export const opcuaCommandMappingSchema = z
  .strictObject({
    command: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/),
    kind: z.enum(['write', 'call']),
    nodeId: opcuaNodeIdSchema,
    objectNodeId: opcuaNodeIdSchema.nullable().default(null),
  })
  .refine((c) => (c.kind === 'call') === (c.objectNodeId !== null), {
    message: 'a call names the object (objectNodeId); a write does not',
    path: ['objectNodeId'],
  });
export type OpcuaCommandMapping = z.infer<typeof opcuaCommandMappingSchema>;

const connectionShape = {
  endpointUrl: opcuaEndpointUrlSchema,
  securityPolicy: z.enum(opcuaSecurityPolicies).default('None'),
  securityMode: z.enum(opcuaSecurityModes).default('None'),
  username: z.string().min(1).max(200).nullable().default(null),
};

const securityPaired = (b: { securityPolicy: string; securityMode: string }) =>
  (b.securityPolicy === 'None') === (b.securityMode === 'None');
const securityMessage = {
  message: 'security policy None goes with mode None, and any other policy with Sign or SignAndEncrypt',
  path: ['securityMode'],
};

export const putOpcuaBindingSchema = z
  .strictObject({
    ...connectionShape,
    /** Never shown again: left out, the stored one stays (for the same user); null removes it. */
    password: z.string().min(1).max(200).nullable().optional(),
    publishingIntervalMs: z.int().min(50).max(3_600_000).default(1000),
    enabled: z.boolean().default(true),
    items: z
      .array(opcuaMonitoredItemSchema)
      .min(1)
      .max(200)
      .refine((items) => new Set(items.map((i) => i.metricKey)).size === items.length, 'each metric once'),
    commands: z
      .array(opcuaCommandMappingSchema)
      .max(50)
      .default([])
      .refine(
        (commands) => new Set(commands.map((c) => c.command)).size === commands.length,
        'each command once',
      ),
  })
  .refine(securityPaired, securityMessage)
  .meta({ id: 'PutOpcuaBinding' });
export type PutOpcuaBinding = z.infer<typeof putOpcuaBindingSchema>;

export const opcuaBindingSchema = z
  .object({
    id: z.uuid(),
    deviceId: z.uuid(),
    endpointUrl: z.string(),
    securityPolicy: z.enum(opcuaSecurityPolicies),
    securityMode: z.enum(opcuaSecurityModes),
    username: z.string().nullable(),
    hasPassword: z.boolean(),
    publishingIntervalMs: z.int(),
    enabled: z.boolean(),
    items: z.array(
      z.object({
        nodeId: z.string(),
        metricKey: z.string(),
        seriesId: z.int(),
        samplingIntervalMs: z.int(),
        deadbandType: z.enum(opcuaDeadbandTypes),
        deadbandValue: z.number(),
        scale: z.number(),
        offset: z.number(),
      }),
    ),
    commands: z.array(
      z.object({
        command: z.string(),
        kind: z.enum(['write', 'call']),
        nodeId: z.string(),
        objectNodeId: z.string().nullable(),
      }),
    ),
    status: z.object({
      state: z.enum(opcuaBindingStates),
      /** Whether an instance holds the binding now (its lease has not run out). */
      held: z.boolean(),
      since: z.string().nullable(),
      /** The source time of the newest value stored. */
      lastReadAt: z.string().nullable(),
      lastError: z.string().nullable(),
      lastErrorAt: z.string().nullable(),
      consecutiveFailures: z.int(),
      /** Open after repeated failures: connecting is retried at the longest back-off only. */
      circuitOpen: z.boolean(),
      /** The certificate the endpoint presented last, and what the trust list says of it. */
      serverCertificate: z
        .object({ id: z.uuid().nullable(), thumbprint: z.string(), status: z.enum(opcuaCertificateStatuses) })
        .nullable(),
    }),
  })
  .meta({ id: 'OpcuaBinding' });
export type OpcuaBinding = z.infer<typeof opcuaBindingSchema>;

export const opcuaPreviewRequestSchema = z
  .strictObject({
    ...connectionShape,
    /** Absent: the password stored with the device's binding (for the same user). */
    password: z.string().min(1).max(200).nullable().optional(),
    items: z.array(opcuaMonitoredItemSchema).max(200).default([]),
    /** Also list the children of this node (the Objects folder, i=85, to start). */
    browse: opcuaNodeIdSchema.nullable().default(null),
  })
  .refine(securityPaired, securityMessage)
  .meta({ id: 'OpcuaPreviewRequest' });
export type OpcuaPreviewRequest = z.infer<typeof opcuaPreviewRequestSchema>;

/** Why a value would not be stored: a Bad or Uncertain status, not a number, or ingest's own refusals. */
export const opcuaValueRejections = ['bad_status', 'not_a_number', ...readingRejectionReasons] as const;
export type OpcuaValueRejection = (typeof opcuaValueRejections)[number];

export const opcuaPreviewSchema = z
  .object({
    endpointUrl: z.string(),
    values: z.array(
      z.object({
        nodeId: z.string(),
        metricKey: z.string(),
        /** The value as read, as text. */
        raw: z.string().nullable(),
        dataType: z.string().nullable(),
        statusCode: z.string(),
        sourceTimestamp: z.string().nullable(),
        /** `raw * scale + offset`. */
        mapped: z.number().nullable(),
        /** What ingest would store (after the series' calibration). */
        stored: z.number().nullable(),
        rejected: z.enum(opcuaValueRejections).nullable(),
      }),
    ),
    browsed: z
      .array(
        z.object({
          nodeId: z.string(),
          browseName: z.string(),
          displayName: z.string(),
          nodeClass: z.string(),
        }),
      )
      .nullable(),
  })
  .meta({ id: 'OpcuaPreview', description: 'One read of the mapped nodes now; nothing stored' });
export type OpcuaPreview = z.infer<typeof opcuaPreviewSchema>;

export const opcuaClientCertificateSchema = z
  .object({
    applicationUri: z.string(),
    thumbprint: z.string(),
    notAfter: z.string(),
    /** To install in the plant server's trust list. */
    certificatePem: z.string(),
  })
  .meta({ id: 'OpcuaClientCertificate' });
export type OpcuaClientCertificate = z.infer<typeof opcuaClientCertificateSchema>;

export const opcuaServerCertificateSchema = z
  .object({
    id: z.uuid(),
    thumbprint: z.string(),
    subject: z.string(),
    applicationUri: z.string().nullable(),
    notBefore: z.string().nullable(),
    notAfter: z.string().nullable(),
    status: z.enum(opcuaCertificateStatuses),
    endpointUrl: z.string().nullable(),
    firstSeenAt: z.string(),
    lastSeenAt: z.string(),
    decidedAt: z.string().nullable(),
  })
  .meta({ id: 'OpcuaServerCertificate' });
export type OpcuaServerCertificate = z.infer<typeof opcuaServerCertificateSchema>;

export const opcuaServerCertificateQuerySchema = z.strictObject({
  status: z.enum(opcuaCertificateStatuses).optional(),
});

/** A plant server's certificate trusted ahead of its first connection. */
export const addOpcuaServerCertificateSchema = z
  .strictObject({
    certificatePem: z
      .string()
      .max(20_000)
      .regex(/-----BEGIN CERTIFICATE-----/, 'a PEM certificate'),
    status: z.enum(['trusted', 'rejected']).default('trusted'),
  })
  .meta({ id: 'AddOpcuaServerCertificate' });

export const decideOpcuaServerCertificateSchema = z
  .strictObject({ status: z.enum(['trusted', 'rejected']) })
  .meta({ id: 'DecideOpcuaServerCertificate' });
