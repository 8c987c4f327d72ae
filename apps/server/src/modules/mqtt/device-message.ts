import { telemetryPayloadSchema, type TelemetryPayload } from '@tidewatch/shared';

export type ParsedPayload =
  { ok: true; payload: TelemetryPayload } | { ok: false; reason: 'too_large' | 'malformed' };

/** Decodes a telemetry message body: JSON of one reading message or an array of them, within `maxBytes`. */
export function parseTelemetryMessage(body: Buffer, maxBytes: number): ParsedPayload {
  if (body.length > maxBytes) return { ok: false, reason: 'too_large' };
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const parsed = telemetryPayloadSchema.safeParse(json);
  return parsed.success ? { ok: true, payload: parsed.data } : { ok: false, reason: 'malformed' };
}
