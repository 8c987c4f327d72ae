import { z } from 'zod';
import { commandStates } from '../domain/devices.ts';
import { jsonbObjectSchema, pageQuerySchema, storableInJsonb } from './common.ts';

export const deviceCommandSchema = z
  .object({
    id: z.uuid(),
    deviceId: z.uuid(),
    command: z.string(),
    params: z.record(z.string(), z.unknown()),
    state: z.enum(commandStates),
    requestedBy: z.uuid().nullable(),
    requestedAt: z.string(),
    expiresAt: z.string(),
    deliveredAt: z.string().nullable(),
    acknowledgedAt: z.string().nullable(),
    result: z.unknown().nullable(),
    failureReason: z.string().nullable(),
  })
  .meta({ id: 'DeviceCommand' });
export type DeviceCommand = z.infer<typeof deviceCommandSchema>;

export const sendCommandSchema = z
  .strictObject({
    command: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/),
    params: jsonbObjectSchema(z.union([z.string().max(200), z.number(), z.boolean()])).default({}),
    ttlS: z
      .number()
      .int()
      .min(5)
      .max(86_400)
      .default(300)
      .describe('Expires if not delivered and acknowledged by then'),
  })
  .meta({ id: 'SendCommand' });

export const commandQuerySchema = pageQuerySchema.extend({
  deviceId: z.uuid().optional(),
  state: z.enum(commandStates).optional(),
});

/**
 * What a device publishes on `devices/{id}/commands/ack`: the command's id, whether it was carried out, and
 * optionally a result or the reason it was not.
 */
export const commandAckSchema = z
  .strictObject({
    id: z.uuid(),
    status: z.enum(['ok', 'error']),
    // PostgreSQL text and jsonb cannot hold U+0000; such an ack is malformed, not a database error.
    result: z.json().refine(storableInJsonb, 'must not contain U+0000 or an unpaired surrogate').optional(),
    message: z
      .string()
      .max(500)
      .refine(storableInJsonb, 'must not contain U+0000 or an unpaired surrogate')
      .optional(),
  })
  .meta({ id: 'CommandAck' });
export type CommandAck = z.infer<typeof commandAckSchema>;

/** What the server publishes on `devices/{id}/commands`. */
export interface CommandMessage {
  readonly id: string;
  readonly command: string;
  readonly params: Record<string, unknown>;
  readonly expiresAt: string;
}

/** What an HTTP device fetches: its pending commands, each handed out once (delivered on the way out). */
export const commandMessageSchema = z
  .object({
    id: z.uuid(),
    command: z.string(),
    params: z.record(z.string(), z.unknown()),
    expiresAt: z.string(),
  })
  .meta({ id: 'CommandMessage' });

export const deviceCommandBatchSchema = z
  .object({ commands: z.array(commandMessageSchema) })
  .meta({ id: 'DeviceCommandBatch' });

export const deviceCommandPollSchema = z.object({
  waitS: z.coerce
    .number()
    .int()
    .min(0)
    .max(120)
    .default(20)
    .describe('How long to wait for a command when none is pending (capped by the server)'),
});

export const commandAckRecordedSchema = z
  .object({ id: z.uuid(), state: z.enum(['acknowledged', 'failed']) })
  .meta({ id: 'CommandAckRecorded' });
