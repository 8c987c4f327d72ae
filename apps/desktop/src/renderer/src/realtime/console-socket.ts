import type { QueryClient } from '@tanstack/react-query';
import {
  problemSchema,
  type Alert,
  type AlertEvent,
  type ClientToServerEvents,
  type Me,
  type ServerToClientEvents,
  type SessionEnded,
  type SessionReady,
} from '@tidewatch/shared';
import { io, type Socket } from 'socket.io-client';
import { alertDetailKey, alertFeedKey, fetchOpenAlerts } from '../alerts/alert-feed.ts';
import { alertFloodKey, applyFloodEvent } from '../alerts/alert-flood.ts';
import type { ConnectionEvent } from '../connection/connection-state.ts';
import { applyIncident, incidentListKey } from '../incidents/incident-queries.ts';
import type { Session } from '../session/session.ts';
import { AlertLedger, mergeAlerts } from './alert-ledger.ts';
import type { TelemetryRequests, TelemetrySubscriptions } from './telemetry-subscriptions.ts';

type ConsoleSocketClient = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface ConsoleSocketDeps {
  readonly queryClient: QueryClient;
  /** The session as it is now (tokens change while the socket lives). */
  readonly session: () => Session | null;
  /** Fresh tokens for a refused or expiring token; rejects (and signs out) when the session is over. */
  readonly refreshTokens: (stale: Session) => Promise<Session>;
  readonly signedOut: (reason: string) => void;
  readonly userChanged: () => Promise<Me>;
  readonly report: (event: ConnectionEvent) => void;
  /** The views' live telemetry subscriptions, carried over this socket. */
  readonly telemetry: TelemetrySubscriptions;
  /** How long alert changes gather before they reach the list: one re-sort per batch, not per event. */
  readonly flushMs?: number;
}

/** At most one batch of alert changes this often: 50 changes a second cost four re-sorts of the list, not 50. */
const DEFAULT_FLUSH_MS = 250;
/** Without a ready socket this long after start, the list is read over REST anyway (and kept current later). */
const FIRST_LOAD_FALLBACK_MS = 4000;
/** After a refusal the server explained (or a failed REST load), try again after this long. */
const RETRY_MS = 5000;

/**
 * The console's one Socket.IO connection, shared by every view. It feeds react-query's caches: the open-alert
 * list (REST at sign-in and when the server says to reload, then each `alert` event whose sequence is newer than
 * the one held for that alert), the flood state and the incidents; it carries the views' live telemetry
 * subscriptions, and it tells the connection state. On a reconnect it sends the highest sequence applied, and the
 * server replays what was missed.
 */
export class ConsoleSocket {
  private socket: ConsoleSocketClient | null = null;
  private readonly ledger = new AlertLedger();
  /** Accepted alert changes not yet in the list. */
  private pending = new Map<string, Alert>();
  private flushTimer: number | undefined;
  private lastFlushAt = -Infinity;
  private retryTimer: number | undefined;
  private fallbackTimer: number | undefined;
  /** True until a REST load after a `session:ready` (at start, and when the server asks for a reload). */
  private needsLoad = true;
  /** While the REST list loads, changes wait: they go on top of it once it is there. */
  private loading = false;
  /** A load was asked for while one ran that started too early to count: run once more after it. */
  private loadAgain = false;
  private stopped = false;

  constructor(
    private readonly tenantId: string,
    private readonly deps: ConsoleSocketDeps,
  ) {}

  start(): void {
    const session = this.deps.session();
    if (!session) return;
    const socket: ConsoleSocketClient = io(session.serverUrl, {
      transports: ['websocket'],
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
      // Called on every (re)connection: the current token and the sequence the list is up to date with.
      auth: (callback) => {
        callback(this.handshakeAuth());
      },
    });
    this.socket = socket;
    socket.on('alert', (event) => {
      this.onAlert(event);
    });
    socket.on('session:ready', (ready) => {
      this.onReady(ready);
    });
    socket.on('flood', (event) => {
      applyFloodEvent(this.deps.queryClient, this.tenantId, event);
    });
    socket.on('incident', ({ incident }) => {
      applyIncident(this.deps.queryClient, this.tenantId, incident);
    });
    socket.on('telemetry', (event) => {
      this.deps.telemetry.deliver(event);
    });
    socket.on('session:changed', ({ droppedSeriesIds }) => {
      this.deps.telemetry.dropped(droppedSeriesIds);
      void this.onScopeChanged();
    });
    socket.on('session:ended', (ended) => {
      void this.onEnded(ended);
    });
    socket.on('disconnect', (reason) => {
      if (this.stopped) return;
      this.deps.telemetry.disconnected();
      this.deps.report({ type: 'failure' });
      // The server closed it on purpose (shutdown, expiry): Socket.IO leaves reconnecting to us.
      if (reason === 'io server disconnect') this.reconnectSoon(500);
    });
    socket.on('connect_error', (error: Error & { data?: unknown }) => {
      void this.onConnectError(error);
    });
    this.fallbackTimer = window.setTimeout(() => {
      if (this.needsLoad && !this.hasList()) void this.loadList();
    }, FIRST_LOAD_FALLBACK_MS);
  }

  stop(): void {
    this.stopped = true;
    window.clearTimeout(this.flushTimer);
    window.clearTimeout(this.retryTimer);
    window.clearTimeout(this.fallbackTimer);
    this.deps.telemetry.disconnected();
    this.socket?.disconnect();
    this.socket = null;
  }

  /** A refreshed access token keeps the open socket past the old one's expiry. */
  renew(token: string): void {
    if (!this.socket?.connected) return;
    this.socket.emit('session:renew', { token }, () => undefined);
  }

  /** The OS says the network is back: try at once rather than wait for the back-off. */
  retryNow(): void {
    if (this.socket && !this.socket.connected) {
      window.clearTimeout(this.retryTimer);
      this.socket.connect();
    }
  }

  private handshakeAuth(): Record<string, unknown> {
    const session = this.deps.session();
    const lastSequence = this.needsLoad ? undefined : this.ledger.lastSequence;
    return {
      token: session?.accessToken ?? '',
      ...(session?.user.role === 'super_admin' ? { tenantId: this.tenantId } : {}),
      ...(lastSequence === undefined ? {} : { lastSequence }),
    };
  }

  private onAlert({ sequence, alert }: AlertEvent): void {
    if (!this.ledger.accept(alert.id, sequence)) return;
    this.pending.set(alert.id, alert);
    this.scheduleFlush();
  }

  private onReady(ready: SessionReady): void {
    const reconnected = !this.needsLoad;
    this.deps.report({ type: 'success' });
    if (this.socket) this.deps.telemetry.connected(telemetryRequests(this.socket));
    const held = this.ledger.lastSequence;
    if (held !== undefined && ready.sequence < held) this.ledger.restart(ready.sequence);
    else this.ledger.advanceTo(ready.sequence);
    if (ready.reload || this.needsLoad) {
      void this.loadList();
    } else if (reconnected) {
      // Alerts were replayed; flood and incident events of the gap were not: read those again.
      void this.deps.queryClient.invalidateQueries({ queryKey: alertFloodKey(this.tenantId) });
      void this.deps.queryClient.invalidateQueries({ queryKey: incidentListKey(this.tenantId) });
      void this.deps.queryClient.invalidateQueries({ queryKey: ['alerts', 'detail'] });
    }
  }

  /**
   * Reads the open alerts over REST. Called after `session:ready`, so every change after the list was read is
   * still to come as an event (or is already pending); those go on top of it, newest per alert.
   */
  private async loadList(): Promise<void> {
    if (this.loading) {
      this.loadAgain = true;
      return;
    }
    this.loading = true;
    const readyBefore = this.socket?.connected === true;
    try {
      await this.deps.queryClient.query({
        queryKey: alertFeedKey(this.tenantId),
        queryFn: ({ signal }) => fetchOpenAlerts(signal),
        staleTime: 0,
        structuralSharing: false,
      });
      // A list read without a ready socket (the fallback) is shown, but still reloaded once the socket is ready.
      if (readyBefore) this.needsLoad = false;
    } catch {
      if (!this.stopped)
        this.retryTimer = window.setTimeout(() => {
          if (this.needsLoad || !this.hasList()) void this.loadList();
        }, RETRY_MS);
    } finally {
      this.loading = false;
      if (this.loadAgain && !this.stopped) {
        this.loadAgain = false;
        void this.loadList();
      } else {
        this.flush();
      }
    }
  }

  private hasList(): boolean {
    return this.deps.queryClient.getQueryData(alertFeedKey(this.tenantId)) !== undefined;
  }

  /** A lone change shows at once; under a stream of changes, the list changes at most every FLUSH_MS. */
  private scheduleFlush(): void {
    if (this.flushTimer !== undefined || this.loading) return;
    const due = this.lastFlushAt + (this.deps.flushMs ?? DEFAULT_FLUSH_MS);
    this.flushTimer = window.setTimeout(
      () => {
        this.flush();
      },
      Math.max(0, due - performance.now()),
    );
  }

  private flush(): void {
    window.clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.loading || this.pending.size === 0) return;
    const { queryClient } = this.deps;
    const current = queryClient.getQueryData<Alert[]>(alertFeedKey(this.tenantId));
    // No list yet: the changes wait for it.
    if (!current) return;
    const changed = this.pending;
    this.pending = new Map();
    this.lastFlushAt = performance.now();
    queryClient.setQueryData<Alert[]>(alertFeedKey(this.tenantId), mergeAlerts(current, changed));
    // An open detail panel shows the new transition; closed panels have no query to refetch.
    for (const id of changed.keys())
      void queryClient.invalidateQueries({ queryKey: alertDetailKey(id), exact: true });
  }

  private async onScopeChanged(): Promise<void> {
    try {
      await this.deps.userChanged();
    } catch {
      // The next request or revalidation tells again.
    }
    // Other zones, maybe another role: what the list may hold changed, so it is read again.
    this.needsLoad = true;
    void this.loadList();
    void this.deps.queryClient.invalidateQueries({ queryKey: incidentListKey(this.tenantId) });
  }

  private async onEnded({ reason }: SessionEnded): Promise<void> {
    if (reason === 'revoked') {
      this.stop();
      this.deps.signedOut('Your session has ended. Sign in again.');
      return;
    }
    if (reason === 'token_expired') await this.refreshQuietly();
    // `server_shutdown`: another instance (or this one, restarted) answers the reconnection.
  }

  private async onConnectError(error: Error & { data?: unknown }): Promise<void> {
    if (this.stopped) return;
    const problem = problemSchema.safeParse(error.data);
    if (!problem.success) {
      // No answer at all: the server is down or out of reach; Socket.IO keeps trying with back-off.
      this.deps.report({ type: 'unreachable' });
      return;
    }
    this.deps.report({ type: 'failure' });
    // The server refused this connection: an expired or revoked token gets fresh tokens (or the sign-in screen).
    if (problem.data.status === 401 && !(await this.refreshQuietly())) return;
    this.reconnectSoon(problem.data.status === 401 ? 0 : RETRY_MS);
  }

  /** Whether fresh tokens were obtained; a refused refresh has signed the operator out. */
  private async refreshQuietly(): Promise<boolean> {
    const session = this.deps.session();
    if (!session) return false;
    try {
      await this.deps.refreshTokens(session);
      return true;
    } catch {
      return this.deps.session() !== null;
    }
  }

  private reconnectSoon(delayMs: number): void {
    window.clearTimeout(this.retryTimer);
    this.retryTimer = window.setTimeout(() => {
      if (!this.stopped && this.socket && !this.socket.connected) this.socket.connect();
    }, delayMs);
  }
}

function telemetryRequests(socket: ConsoleSocketClient): TelemetryRequests {
  return {
    subscribe: (seriesIds, answer) => {
      socket.emit('telemetry:subscribe', { seriesIds }, answer);
    },
    unsubscribe: (seriesIds) => {
      socket.emit('telemetry:unsubscribe', { seriesIds }, () => undefined);
    },
  };
}
