import { checkTelemetryPayload, type TelemetryPayload } from '@tidewatch/shared';

export type ParsedPayload =
  { ok: true; payload: TelemetryPayload } | { ok: false; reason: 'too_large' | 'malformed' };

/**
 * Decodes a telemetry message body, as the broker handed it (no copy): JSON of one reading message or an array
 * of them, within `maxBytes`, checked by the hand-written twin of the shared payload schema.
 */
export function parseTelemetryMessage(body: Buffer, maxBytes: number): ParsedPayload {
  if (body.length > maxBytes) return { ok: false, reason: 'too_large' };
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const payload = checkTelemetryPayload(json);
  return payload === null ? { ok: false, reason: 'malformed' } : { ok: true, payload };
}
