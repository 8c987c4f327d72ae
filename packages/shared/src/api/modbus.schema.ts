import { z } from 'zod';
import { readingRejectionReasons } from './telemetry.schema.ts';

/** 1 coils, 2 discrete inputs (bits); 3 holding registers, 4 input registers (16-bit words). */
export const modbusFunctions = [1, 2, 3, 4] as const;
export const modbusDataTypes = ['bool', 'int16', 'uint16', 'int32', 'uint32', 'float32'] as const;
export type ModbusDataType = (typeof modbusDataTypes)[number];
/** `big`: the high word (or byte) first, as Modbus itself orders bytes; `little`: the low one first. */
export const modbusOrders = ['big', 'little'] as const;
export type ModbusOrder = (typeof modbusOrders)[number];

const metricKey = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/);

/** An IPv4 or IPv6 address (no host names: the allow-list checks what the connection goes to). */
const ipAddress = z.union([z.ipv4(), z.ipv6()]);

export const modbusRegisterSchema = z
  .strictObject({
    metricKey,
    function: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4)]),
    address: z.int().min(0).max(65_535).describe('zero-based, as sent on the wire'),
    type: z.enum(modbusDataTypes).describe('bool for functions 1 and 2; a number type for 3 and 4'),
    wordOrder: z.enum(modbusOrders).default('big').describe('32-bit types: big, the high word first'),
    byteOrder: z.enum(modbusOrders).default('big').describe('big, the high byte of each word first'),
    scale: z
      .number()
      .refine((n) => n !== 0, 'must not be 0')
      .default(1),
    offset: z.number().default(0),
    writable: z.boolean().default(false).describe('commands may write it (coils and holding registers only)'),
  })
  .refine((r) => r.function <= 2 === (r.type === 'bool'), {
    message: 'functions 1 and 2 read bits (type bool); 3 and 4 read registers (a number type)',
    path: ['type'],
  })
  .refine((r) => !r.writable || r.function === 1 || r.function === 3, {
    message: 'only coils (1) and holding registers (3) can be written',
    path: ['writable'],
  })
  .refine((r) => r.address + (is32Bit(r.type) ? 1 : 0) <= 65_535, {
    message: 'a 32-bit value needs two registers from this address',
    path: ['address'],
  });
export type ModbusRegister = z.infer<typeof modbusRegisterSchema>;

export function is32Bit(type: ModbusDataType): boolean {
  return type === 'int32' || type === 'uint32' || type === 'float32';
}

export const putModbusBindingSchema = z
  .strictObject({
    host: ipAddress.describe(
      'the gateway or device address; devices behind one gateway share its connection',
    ),
    port: z.int().min(1).max(65_535).default(502),
    unitId: z.int().min(0).max(255).default(1),
    pollIntervalMs: z.int().min(1000).max(86_400_000).default(10_000),
    timeoutMs: z.int().min(100).max(30_000).default(2000),
    enabled: z.boolean().default(true),
    registers: z
      .array(modbusRegisterSchema)
      .min(1)
      .max(64)
      .refine((list) => new Set(list.map((r) => r.metricKey)).size === list.length, 'each metric once'),
  })
  .meta({ id: 'PutModbusBinding' });
export type PutModbusBinding = z.infer<typeof putModbusBindingSchema>;

export const modbusCircuitStates = ['closed', 'open', 'half_open'] as const;

export const modbusConnectorStateSchema = z.object({
  /** The instance holding the endpoint has a connection open to it. */
  connected: z.boolean(),
  lastReadAt: z.string().nullable(),
  /** The device's last error (an exception response), else the endpoint's while it is failing. */
  lastError: z.string().nullable(),
  lastErrorAt: z.string().nullable(),
  circuit: z.enum(modbusCircuitStates),
  consecutiveFailures: z.int(),
  nextAttemptAt: z.string().nullable(),
});

export const modbusBindingSchema = z
  .object({
    id: z.uuid(),
    deviceId: z.uuid(),
    host: z.string(),
    port: z.int(),
    unitId: z.int(),
    pollIntervalMs: z.int(),
    timeoutMs: z.int(),
    enabled: z.boolean(),
    registers: z.array(
      z.object({
        seriesId: z.int(),
        metricKey: z.string(),
        function: z.int(),
        address: z.int(),
        type: z.enum(modbusDataTypes),
        wordOrder: z.enum(modbusOrders),
        byteOrder: z.enum(modbusOrders),
        scale: z.number(),
        offset: z.number(),
        writable: z.boolean(),
      }),
    ),
    state: modbusConnectorStateSchema,
  })
  .meta({ id: 'ModbusBinding' });
export type ModbusBinding = z.infer<typeof modbusBindingSchema>;

/** Why a previewed value would not be stored: the device answered with an exception, or ingest would refuse it. */
export const modbusValueRejections = ['exception', 'not_a_number', ...readingRejectionReasons] as const;

export const modbusPreviewSchema = z
  .object({
    readAt: z.string(),
    values: z.array(
      z.object({
        metricKey: z.string(),
        /** The registers (or bit) as read, in wire order. */
        raw: z.array(z.int()).nullable(),
        /** Decoded, then `* scale + offset`. */
        mapped: z.number().nullable(),
        /** What ingest would store (after the series' calibration). */
        stored: z.number().nullable(),
        rejected: z.enum(modbusValueRejections).nullable(),
        error: z.string().nullable(),
      }),
    ),
  })
  .meta({
    id: 'ModbusPreview',
    description: 'One read of the registers mapped as the binding would; nothing stored',
  });
export type ModbusPreview = z.infer<typeof modbusPreviewSchema>;

/** A command a Modbus device carries out: write `value` (in the metric's unit) to a writable register. */
export const modbusWriteParamsSchema = z.strictObject({ metricKey, value: z.number() });
