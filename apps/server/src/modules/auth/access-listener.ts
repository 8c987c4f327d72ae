import pg from 'pg';
import type { EventBus } from '../../events/event-bus.ts';
import type { Logger } from '../../logger.ts';
import type { PrincipalCache } from './principal-cache.ts';

/** The channel the access_notifications triggers announce on. */
export const ACCESS_CHANNEL = 'tw_access';

export interface AccessListenerOptions {
  readonly url: string;
  /** First reconnection delay, doubled after each failure up to `retryMaxMs`. */
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
  /** How often the connection is checked: a connection that died silently must not leave the cache trusted. */
  readonly heartbeatMs?: number;
  /** Called for every announcement (after the cache dropped what it names) and after every reconnection. */
  readonly onChange?: () => void;
}

type Announcement = { kind: 'user' | 'session' | 'tenant'; id: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function parseAnnouncement(payload: string | undefined): Announcement | null {
  const match = /^(user|session|tenant):(.+)$/.exec(payload ?? '');
  if (!match?.[1] || !match[2] || !UUID.test(match[2])) return null;
  return { kind: match[1] as Announcement['kind'], id: match[2] };
}

/**
 * Keeps the principal cache honest: one dedicated connection LISTENs on tw_access, and every announcement of a
 * user, session or tenant drops the cached principals it covers, whichever instance or tool made the change. This
 * instance's own changes (`access.changed`) drop them too, before the response that made them. While the
 * connection is down the cache is off; once it is back (with back-off) it starts empty.
 */
export class AccessListener {
  private client: pg.Client | null = null;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private failures = 0;
  private stopBus: (() => void) | undefined;

  constructor(
    private readonly cache: PrincipalCache,
    private readonly bus: EventBus,
    private readonly log: Logger,
    private readonly options: AccessListenerOptions,
  ) {}

  /** Connects once (a failure is retried in the background: the cache stays off meanwhile). */
  async start(): Promise<void> {
    this.stopBus = this.bus.on('access.changed', ({ tenantId, userId }) => {
      if (userId !== null) this.cache.forgetUser(userId);
      else if (tenantId !== null) this.cache.forgetTenant(tenantId);
      else this.cache.clear();
    });
    if (!this.cache.enabled) return;
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopBus?.();
    clearTimeout(this.retryTimer);
    clearInterval(this.heartbeat);
    this.cache.setAvailable(false);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  /** The listening connection's backend process id, or null while down (tests end it to prove the reconnect). */
  async backendPid(): Promise<number | null> {
    if (!this.client) return null;
    const { rows } = await this.client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    return rows[0]?.pid ?? null;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.options.url,
      application_name: 'tidewatch-server-access',
      keepAlive: true,
      query_timeout: 5000,
    });
    client.on('notification', (message) => {
      if (message.channel === ACCESS_CHANNEL) this.apply(message.payload);
    });
    client.on('error', (error) => {
      this.lost(client, error);
    });
    client.on('end', () => {
      this.lost(client, new Error('the listening connection closed'));
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${ACCESS_CHANNEL}`);
    } catch (error) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      this.retry(error);
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.failures = 0;
    // Announcements missed while down are unknowable: start from nothing.
    this.cache.setAvailable(true);
    this.options.onChange?.();
    this.heartbeat = setInterval(() => {
      client.query('SELECT 1').catch((error: unknown) => {
        this.lost(client, error);
      });
    }, this.options.heartbeatMs ?? 10_000);
    this.heartbeat.unref();
  }

  private apply(payload: string | undefined): void {
    const announcement = parseAnnouncement(payload);
    if (!announcement) {
      // Unreadable: assume the worst.
      this.cache.clear();
    } else if (announcement.kind === 'user') this.cache.forgetUser(announcement.id);
    else if (announcement.kind === 'session') this.cache.forgetSession(announcement.id);
    else this.cache.forgetTenant(announcement.id);
    this.options.onChange?.();
  }

  private lost(client: pg.Client, error: unknown): void {
    if (this.client !== client) return;
    this.client = null;
    clearInterval(this.heartbeat);
    this.cache.setAvailable(false);
    client.removeAllListeners('end');
    void client.end().catch(() => undefined);
    this.retry(error);
  }

  private retry(error: unknown): void {
    if (this.stopped) return;
    this.failures += 1;
    const delay = Math.min(
      (this.options.retryBaseMs ?? 100) * 2 ** (this.failures - 1),
      this.options.retryMaxMs ?? 5000,
    );
    this.log.warn(
      { err: error, retryInMs: delay },
      'access announcements not heard; principals read from the database until reconnected',
    );
    this.retryTimer = setTimeout(() => {
      void this.connect();
    }, delay);
    this.retryTimer.unref();
  }
}
