import { z } from 'zod';
import {
  acknowledgeAlertSchema,
  alertChangesSchema,
  alertCommentSchema,
  alertSchema,
  shelveAlertSchema,
  type Alert,
  type AlertChanges,
} from '../api/alert.schema.ts';
import { incidentSchema } from '../api/incident.schema.ts';
import { maintenancePlanSchema } from '../api/maintenance.schema.ts';
import type { Problem } from '../api/problem.ts';
import { roles } from '../domain/roles.ts';

/**
 * The Socket.IO contract between the server and the console. The socket lives on the server's HTTP port at the
 * default path `/socket.io`; one connection per signed-in console.
 *
 * Alert state: every `alert` event carries the tenant's change `sequence`. Keep the highest sequence seen per alert
 * and ignore an event older than it (events of several server instances may interleave); keep the highest sequence
 * seen overall and send it as `lastSequence` when reconnecting, and the server replays what was missed.
 *
 * A refused connection (no, bad or expired token; no tenant chosen) gets `connect_error` with the RFC 9457
 * problem as the error's `data`, and no events.
 */

/** What a client sends when it connects (`io(url, { auth })`; a function there is called on every reconnect). */
export const realtimeAuthSchema = z.object({
  /** The access token, as for `Authorization: Bearer`. */
  token: z.string().min(10).max(4096),
  /** For a super_admin: the tenant to watch. Ignored for everyone else. */
  tenantId: z.uuid().optional(),
  /** The highest alert sequence the client has applied; the server replays the changes after it. */
  lastSequence: z.int().min(0).optional(),
});
export type RealtimeAuth = z.infer<typeof realtimeAuthSchema>;

/** An alert as it is after a change (raise, return, acknowledgement, shelving, comment...). */
export const alertEventSchema = z.object({ sequence: z.int(), alert: alertSchema });
export type AlertEvent = z.infer<typeof alertEventSchema>;

export const deviceStatusEventSchema = z.object({
  deviceId: z.uuid(),
  assetId: z.uuid().nullable(),
  zoneId: z.uuid().nullable(),
  connectivity: z.enum(['online', 'offline']),
  at: z.iso.datetime(),
});
export type DeviceStatusEvent = z.infer<typeof deviceStatusEventSchema>;

/** The tenant's alarm flood began (`active`) or ended. */
export const floodEventSchema = z.object({ active: z.boolean(), count: z.int(), at: z.iso.datetime() });
export type FloodEvent = z.infer<typeof floodEventSchema>;

export const incidentEventSchema = z.object({ incident: incidentSchema });
export type IncidentEvent = z.infer<typeof incidentEventSchema>;

/** Planned maintenance came to its reminder time: sent once per due date to the asset's zone. */
export const maintenanceDueEventSchema = z.object({ plan: maintenancePlanSchema });
export type MaintenanceDueEvent = z.infer<typeof maintenanceDueEventSchema>;

/** `[seriesId, time (epoch ms), value]`: the latest reading of a subscribed series in one coalescing interval. */
export const liveReadingSchema = z.tuple([z.int(), z.number(), z.number()]);
export type LiveReading = z.infer<typeof liveReadingSchema>;

export const telemetryEventSchema = z.object({ readings: z.array(liveReadingSchema) });
export type TelemetryEvent = z.infer<typeof telemetryEventSchema>;

/** Sent once per connection, after any replay: who the socket acts for and where the alert stream stands. */
export const sessionReadySchema = z.object({
  userId: z.uuid(),
  tenantId: z.uuid(),
  role: z.enum(roles),
  /** Empty: the whole tenant. */
  zoneIds: z.array(z.uuid()),
  /** The sequence the client is up to date with (after the replay, if there was one). */
  sequence: z.int(),
  /** Alert events replayed for `lastSequence` before this one. */
  replayed: z.int(),
  /** Too much was missed to replay (or `lastSequence` is unknown here): reload the alert list over REST. */
  reload: z.boolean(),
});
export type SessionReady = z.infer<typeof sessionReadySchema>;

/** The user's role or zones changed: the socket now sees what the new scope allows (subscriptions were pruned). */
export const sessionChangedSchema = z.object({
  role: z.enum(roles),
  zoneIds: z.array(z.uuid()),
  /** Telemetry subscriptions dropped because the new scope no longer shows them. */
  droppedSeriesIds: z.array(z.int()),
});
export type SessionChanged = z.infer<typeof sessionChangedSchema>;

export const sessionEndReasons = [
  /** The access token expired without `session:renew`: refresh it and connect again. */
  'token_expired',
  /** Signed out, session revoked or expired, user or tenant disabled: sign in again. */
  'revoked',
  /** The server is stopping: connect again (another instance will answer). */
  'server_shutdown',
] as const;
export const sessionEndedSchema = z.object({ reason: z.enum(sessionEndReasons) });
export type SessionEnded = z.infer<typeof sessionEndedSchema>;

export const subscribeTelemetrySchema = z.strictObject({
  seriesIds: z.array(z.int().positive()).min(1).max(200),
});
export type SubscribeTelemetry = z.infer<typeof subscribeTelemetrySchema>;

/** Series refused are unknown, of another tenant or outside the user's zones; they are not told apart. */
export const subscriptionResultSchema = z.object({
  /** Every series the socket is now subscribed to. */
  subscribed: z.array(z.int()),
  refused: z.array(z.int()),
});
export type SubscriptionResult = z.infer<typeof subscriptionResultSchema>;

export const resyncAlertsSchema = z.strictObject({
  after: z.int().min(0),
  limit: z.int().min(1).max(1000).default(500),
});
export type ResyncAlerts = z.input<typeof resyncAlertsSchema>;

export const acknowledgeAlertRequestSchema = acknowledgeAlertSchema.extend({ id: z.uuid() });
export type AcknowledgeAlertRequest = z.infer<typeof acknowledgeAlertRequestSchema>;
export const shelveAlertRequestSchema = shelveAlertSchema.extend({ id: z.uuid() });
export type ShelveAlertRequest = z.infer<typeof shelveAlertRequestSchema>;
export const commentAlertRequestSchema = alertCommentSchema.extend({ id: z.uuid() });
export type CommentAlertRequest = z.infer<typeof commentAlertRequestSchema>;

export const renewSessionSchema = z.strictObject({ token: z.string().min(10).max(4096) });
export type RenewSession = z.infer<typeof renewSessionSchema>;
export const sessionRenewedSchema = z.object({ expiresAt: z.iso.datetime() });
export type SessionRenewed = z.infer<typeof sessionRenewedSchema>;

/**
 * The answer to every request: the result, or the same RFC 9457 problem REST would answer with.
 * @example socket.emit('alert:acknowledge', { id }, (answer) => answer.ok ? show(answer.data) : warn(answer.problem))
 */
export type Ack<T> =
  { readonly ok: true; readonly data: T } | { readonly ok: false; readonly problem: Problem };

export interface ServerToClientEvents {
  alert: (event: AlertEvent) => void;
  'device:status': (event: DeviceStatusEvent) => void;
  flood: (event: FloodEvent) => void;
  incident: (event: IncidentEvent) => void;
  'maintenance:due': (event: MaintenanceDueEvent) => void;
  /** Coalesced: the latest reading per subscribed series per interval; may be skipped for a slow client. */
  telemetry: (event: TelemetryEvent) => void;
  'session:ready': (event: SessionReady) => void;
  'session:changed': (event: SessionChanged) => void;
  /** The server closes the socket right after. */
  'session:ended': (event: SessionEnded) => void;
}

export interface ClientToServerEvents {
  'telemetry:subscribe': (
    request: SubscribeTelemetry,
    ack: (answer: Ack<SubscriptionResult>) => void,
  ) => void;
  'telemetry:unsubscribe': (
    request: SubscribeTelemetry,
    ack: (answer: Ack<SubscriptionResult>) => void,
  ) => void;
  /** The alert changes after a sequence, page by page, as GET /alerts/changes answers them. */
  'alerts:resync': (request: ResyncAlerts, ack: (answer: Ack<AlertChanges>) => void) => void;
  'alert:acknowledge': (request: AcknowledgeAlertRequest, ack: (answer: Ack<Alert>) => void) => void;
  'alert:shelve': (request: ShelveAlertRequest, ack: (answer: Ack<Alert>) => void) => void;
  'alert:comment': (request: CommentAlertRequest, ack: (answer: Ack<Alert>) => void) => void;
  /** A fresh access token for the same session, before the current one expires. */
  'session:renew': (request: RenewSession, ack: (answer: Ack<SessionRenewed>) => void) => void;
}

/** Requests a client may send, with the schema each is validated with. */
export const realtimeRequestSchemas = {
  'telemetry:subscribe': subscribeTelemetrySchema,
  'telemetry:unsubscribe': subscribeTelemetrySchema,
  'alerts:resync': resyncAlertsSchema,
  'alert:acknowledge': acknowledgeAlertRequestSchema,
  'alert:shelve': shelveAlertRequestSchema,
  'alert:comment': commentAlertRequestSchema,
  'session:renew': renewSessionSchema,
} as const satisfies Record<keyof ClientToServerEvents, z.ZodType>;

/** What each request answers with, for clients and tests that check answers. */
export const realtimeAnswerSchemas = {
  'telemetry:subscribe': subscriptionResultSchema,
  'telemetry:unsubscribe': subscriptionResultSchema,
  'alerts:resync': alertChangesSchema,
  'alert:acknowledge': alertSchema,
  'alert:shelve': alertSchema,
  'alert:comment': alertSchema,
  'session:renew': sessionRenewedSchema,
} as const satisfies Record<keyof ClientToServerEvents, z.ZodType>;
