import type { LorawanFormat } from '@tidewatch/shared';

/** What a downlink came to, as the network server tells it. */
export type DownlinkResult =
  /** The device confirmed a confirmed downlink. */
  | 'acknowledged'
  /** The device did not confirm it, or the network server could not send it. */
  | 'failed'
  /** A gateway took it for transmission: the end of the road for an unconfirmed downlink. */
  | 'transmitted';

interface EventBase {
  /** 16 lower-case hex digits. */
  readonly devEui: string;
  /** The Things Stack's own device id (null for ChirpStack). */
  readonly networkDeviceId: string | null;
}

/** One message of a network server's integration, whichever format carried it. */
export type LorawanEvent =
  | (EventBase & {
      readonly kind: 'uplink';
      readonly fCnt: number;
      readonly fPort: number | null;
      /** Epoch ms: when the network server received it (the readings' time). */
      readonly time: number;
      /** The payload as the network server's codec decoded it; undefined without a codec. */
      readonly payload: unknown;
    })
  | (EventBase & { readonly kind: 'join'; readonly time: number; readonly devAddr: string | null })
  | (EventBase & {
      readonly kind: 'status';
      readonly time: number;
      /** Percent; null when the device cannot measure it. */
      readonly batteryLevel: number | null;
      readonly externalPower: boolean;
      readonly margin: number;
    })
  | (EventBase & {
      readonly kind: 'downlink';
      /** The command it carried, when it was one of ours. */
      readonly commandId: string | null;
      readonly result: DownlinkResult;
      readonly message: string | null;
    })
  | (EventBase & {
      readonly kind: 'log';
      readonly level: string;
      readonly code: string;
      readonly description: string;
    });

export type LorawanEventKind = LorawanEvent['kind'];

/**
 * A message read: an event, or why not. `malformed`: not JSON, or JSON without what its topic promises (counted,
 * logged, acknowledged). `ignored`: a topic or event type of no use to us (location, integration events).
 */
export type ParsedMessage =
  | { readonly ok: true; readonly event: LorawanEvent }
  | { readonly ok: false; readonly reason: 'malformed' | 'ignored'; readonly detail: string };

/** How one format names its topics and reads its messages. */
export interface LorawanFormatRules {
  readonly format: LorawanFormat;
  /** What to subscribe to for one network-server application. */
  subscriptions(applicationId: string): string[];
  parse(applicationId: string, topic: string, body: Buffer): ParsedMessage;
  /** Where a downlink for the device goes. Null: the topic needs an id the device has not told yet. */
  downlinkTopic(applicationId: string, device: DownlinkTarget): string | null;
  downlinkBody(device: DownlinkTarget, downlink: Downlink): Buffer;
}

export interface DownlinkTarget {
  readonly devEui: string;
  readonly networkDeviceId: string | null;
}

/** A command as a LoRaWAN downlink: raw bytes, or an object for the network server's codec to encode. */
export interface Downlink {
  readonly commandId: string;
  readonly fPort: number;
  readonly confirmed: boolean;
  readonly data: Buffer | null;
  readonly object: Record<string, unknown> | null;
}

export const malformed = (detail: string): ParsedMessage => ({ ok: false, reason: 'malformed', detail });
export const ignored = (detail: string): ParsedMessage => ({ ok: false, reason: 'ignored', detail });

/** Parses JSON that must be an object; null for anything else. */
export function jsonObject(body: Buffer): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

export function objectAt(node: unknown, key: string): Record<string, unknown> | null {
  if (typeof node !== 'object' || node === null) return null;
  const value = (node as Record<string, unknown>)[key];
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

/** A DevEUI as we keep it (16 lower-case hex digits), or null. */
export function devEuiOf(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const text = value.toLowerCase();
  return /^[0-9a-f]{16}$/.test(text) ? text : null;
}

/** An RFC 3339 time (nanoseconds allowed) as epoch ms, or null. */
export function timeOf(value: unknown): number | null {
  if (typeof value !== 'string' || value.length > 64) return null;
  // Date.parse takes at most milliseconds: the network servers send nanoseconds.
  const trimmed = value.replace(/(\.\d{3})\d+/, '$1');
  const ms = Date.parse(trimmed);
  return Number.isFinite(ms) ? ms : null;
}

/**
 * A non-negative integer as proto3 JSON writes it (a number, or a string for 64-bit values); `absent` when the
 * field is left out, as proto3 JSON does for zero.
 */
export function countOf(value: unknown, absent: number | null): number | null {
  if (value === undefined) return absent;
  const number = typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value;
  return typeof number === 'number' && Number.isSafeInteger(number) && number >= 0 ? number : null;
}

const COMMAND_CORRELATION =
  /tidewatch:command:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/;

/** The correlation id a command's downlink carries through The Things Stack. */
export const commandCorrelationId = (commandId: string): string => `tidewatch:command:${commandId}`;

/** The command named by a correlation id anywhere in a message, or null. */
export function commandIdIn(text: string): string | null {
  return COMMAND_CORRELATION.exec(text)?.[1] ?? null;
}
