import { can, type Role, type SessionEnded } from '@tidewatch/shared';
import type pg from 'pg';
import type { Principal } from '../../http/request-context.ts';
import type { Logger } from '../../logger.ts';
import type { RealtimeMetrics } from './realtime-metrics.ts';
import type { RealtimeServer, RealtimeSocket } from './realtime-types.ts';
import { scopeRooms } from './rooms.ts';
import { visibleSeries } from './series-access.ts';
import type { TelemetryFanout } from './telemetry-fanout.ts';

interface PrincipalRow {
  asked_user: string;
  asked_session: string;
  user_id: string | null;
  tenant_id: string | null;
  role: Role | null;
  email: string | null;
  display_name: string | null;
  zone_ids: string[] | null;
  active: boolean | null;
}

/** Sessions checked per statement. */
const CHUNK = 1000;

const sameZones = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((zone, i) => zone === b[i]);

/**
 * Keeps every socket's authority as current as a REST request's: each socket closes when its access token expires
 * (unless renewed), and every `intervalMs` the users and sessions behind this instance's sockets are read again in
 * one statement. A socket whose session ended or whose user or tenant was disabled is told and closed; one whose
 * role or zones changed is moved to its new rooms and loses the subscriptions it may no longer see.
 */
export class SessionRevalidator {
  private readonly expiryTimers = new Map<RealtimeSocket, NodeJS.Timeout>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly io: RealtimeServer,
    private readonly pool: pg.Pool,
    private readonly telemetry: TelemetryFanout,
    private readonly metrics: RealtimeMetrics,
    private readonly log: Logger,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.run();
    }, this.intervalMs);
    this.timer.unref();
  }

  /**
   * Checks every socket again now (a user was disabled, a role changed): once more after the running check if
   * one is under way, since it may have read the state before the change.
   */
  soon(): void {
    if (!this.running) {
      this.run();
      return;
    }
    if (this.again) return;
    this.again = true;
    void this.running.then(() => {
      this.again = false;
      this.run();
    });
  }

  private run(): void {
    if (this.running) return;
    this.running = this.revalidate()
      .catch((error: unknown) => {
        this.log.warn({ err: error }, 'socket sessions not revalidated; trying again at the next interval');
      })
      .finally(() => {
        this.running = undefined;
      });
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    for (const timer of this.expiryTimers.values()) clearTimeout(timer);
    this.expiryTimers.clear();
    await this.running;
  }

  /** (Re)arms the socket's expiry at its session's `expiresAt`. */
  track(socket: RealtimeSocket): void {
    clearTimeout(this.expiryTimers.get(socket));
    const timer = setTimeout(
      () => {
        this.end(socket, 'token_expired');
      },
      Math.max(0, socket.data.session.expiresAt - Date.now()),
    );
    timer.unref();
    this.expiryTimers.set(socket, timer);
  }

  untrack(socket: RealtimeSocket): void {
    clearTimeout(this.expiryTimers.get(socket));
    this.expiryTimers.delete(socket);
  }

  /** Tells the client why and closes its socket. */
  end(socket: RealtimeSocket, reason: SessionEnded['reason']): void {
    this.untrack(socket);
    this.metrics.sessionsEnded.inc({ reason });
    socket.data.session.log.info({ socketId: socket.id, reason }, 'socket session ended');
    socket.emit('session:ended', { reason });
    socket.disconnect(true);
  }

  /** Reads every local socket's user and session again and applies what changed. */
  async revalidate(): Promise<void> {
    const sockets = [...this.io.of('/').sockets.values()];
    const keys = new Map<string, { userId: string; sessionId: string }>();
    for (const socket of sockets) {
      const { userId, sessionId } = socket.data.session.principal;
      keys.set(`${userId}/${sessionId}`, { userId, sessionId });
    }
    const current = new Map<string, PrincipalRow>();
    const all = [...keys.values()];
    for (let start = 0; start < all.length; start += CHUNK) {
      const chunk = all.slice(start, start + CHUNK);
      const { rows } = await this.pool.query<PrincipalRow>({
        name: 'realtime-revalidate-sessions',
        text: `SELECT k.asked_user, k.asked_session, p.user_id, p.tenant_id, p.role, p.email, p.display_name,
                      p.zone_ids, p.active
                 FROM unnest($1::uuid[], $2::uuid[]) AS k (asked_user, asked_session)
                 LEFT JOIN LATERAL auth_principal(k.asked_user, k.asked_session, false) p ON true`,
        values: [chunk.map((k) => k.userId), chunk.map((k) => k.sessionId)],
      });
      for (const row of rows) current.set(`${row.asked_user}/${row.asked_session}`, row);
    }
    await Promise.all(
      sockets.map(async (socket) => {
        if (socket.disconnected) return;
        const { principal } = socket.data.session;
        const row = current.get(`${principal.userId}/${principal.sessionId}`);
        if (
          !row?.active ||
          row.role === null ||
          row.user_id === null ||
          row.tenant_id !== principal.homeTenantId
        ) {
          this.end(socket, 'revoked');
          return;
        }
        const next: Principal = {
          ...principal,
          role: row.role,
          email: row.email ?? principal.email,
          displayName: row.display_name ?? principal.displayName,
          zoneIds: row.zone_ids ?? [],
        };
        if (next.role === principal.role && sameZones(next.zoneIds, principal.zoneIds)) {
          socket.data.session.principal = next;
          return;
        }
        await this.rescope(socket, next);
      }),
    );
  }

  private async rescope(socket: RealtimeSocket, next: Principal): Promise<void> {
    const { session } = socket.data;
    if (!can(next.role, 'alert:read')) {
      this.end(socket, 'revoked');
      return;
    }
    const before = scopeRooms(session.tenantId, session.zones);
    session.principal = next;
    const after = scopeRooms(session.tenantId, session.zones);
    for (const room of before) if (!after.includes(room)) void socket.leave(room);
    void socket.join(after);
    // Nothing flows while the new scope is checked; what it still shows is subscribed again.
    const subscribed = this.telemetry.subscribed(socket);
    this.telemetry.unsubscribe(socket, subscribed);
    const keep = can(next.role, 'telemetry:read')
      ? await visibleSeries(this.pool, session, subscribed)
      : new Set<number>();
    if (socket.disconnected) return;
    this.telemetry.subscribe(socket, keep);
    const dropped = subscribed.filter((id) => !keep.has(id));
    session.log.info(
      { socketId: socket.id, role: next.role, zoneIds: next.zoneIds, dropped },
      'socket re-scoped to the user’s new role and zones',
    );
    socket.emit('session:changed', {
      role: next.role,
      zoneIds: [...next.zoneIds],
      droppedSeriesIds: dropped,
    });
  }
}
