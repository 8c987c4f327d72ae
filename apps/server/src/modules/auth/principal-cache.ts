import type pg from 'pg';
import type { Principal } from '../../http/request-context.ts';
import { readPrincipal, type SessionClock } from './principal.ts';

interface Entry {
  readonly principal: Principal;
  readonly clock: SessionClock;
  /** This process's clock when it was read. */
  readonly readAt: number;
}

export interface PrincipalCacheOptions {
  /** How long an entry is trusted without a database read; 0: never cached. */
  readonly ttlMs: number;
  readonly maxEntries: number;
}

/** Activity is written at most once a minute per session (auth_principal); an entry older than that reads again. */
const ACTIVITY_WRITE_MS = 60_000;
/** Near the session's expiry or idle limit the database decides, so clock estimates never let one through. */
const BOUNDARY_MARGIN_MS = 1000;

/**
 * The principals of recent sessions, so most requests skip the database read of who is calling. Only trusted while
 * the database's change announcements are heard (`available`, set by the access listener): each announcement drops
 * the entries it names, and losing the listening connection drops everything. The TTL bounds what a lost
 * announcement could leave. Sessions still owing a sign-in step are never cached; expiry and idle timeout are
 * checked on every hit in the database's clock, and activity still reaches the database once a minute.
 */
export class PrincipalCache {
  /** By session; a Map keeps insertion order, so the first key is the oldest entry. */
  private readonly entries = new Map<string, Entry>();
  private readonly sessionsByUser = new Map<string, Set<string>>();
  private readonly sessionsByTenant = new Map<string, Set<string>>();
  private available = false;
  /** Bumped by every invalidation: a read that started before one is not stored, it may predate the change. */
  private generation = 0;
  /** Principal reads in flight, by user and session (`load`). */
  private readonly reads = new Map<string, Promise<Principal | null>>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: PrincipalCacheOptions,
  ) {}

  get enabled(): boolean {
    return this.options.ttlMs > 0;
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * The principal of a session: from the cache when still trustworthy, otherwise from the database. `fresh`: from
   * the database in any case (a transaction refused the cached principal, a cached role was refused something, or
   * the route answers from the principal alone); what it reads replaces the session's entry.
   */
  load(userId: string, sessionId: string, activity: boolean, fresh = false): Promise<Principal | null> {
    if (fresh || !this.available || !this.enabled) return this.read(userId, sessionId, activity);
    const cached = this.lookup(userId, sessionId, activity);
    if (cached) return Promise.resolve(cached);
    // While the cache is trusted, requests of a session arriving while its principal is read share that read:
    // when an entry expires under load, each would otherwise read it again (and once a minute write the
    // session's activity, queueing on its row lock one commit after another while holding pool connections: a
    // stall of a few hundred milliseconds for every request at 1,000/s). A shared read is no staler than a cached
    // entry, and each request's own statement still checks the session and its authority.
    const key = `${userId}:${sessionId}`;
    const inFlight = this.reads.get(key);
    if (inFlight) return inFlight;
    const read = this.read(userId, sessionId, activity).finally(() => {
      if (this.reads.get(key) === read) this.reads.delete(key);
    });
    this.reads.set(key, read);
    return read;
  }

  private async read(userId: string, sessionId: string, activity: boolean): Promise<Principal | null> {
    const generation = this.generation;
    const read = await readPrincipal(this.pool, userId, sessionId, activity);
    if (!read) {
      this.forgetSession(sessionId);
      return null;
    }
    if (
      this.available &&
      this.enabled &&
      generation === this.generation &&
      read.principal.pendingStep === null
    ) {
      this.store({ ...read, readAt: Date.now() });
    }
    return read.principal;
  }

  /** Heard announcements (true) or lost them (false): either way what is cached may be stale and goes. */
  setAvailable(available: boolean): void {
    this.clear();
    this.available = available;
  }

  clear(): void {
    this.generation += 1;
    this.entries.clear();
    this.sessionsByUser.clear();
    this.sessionsByTenant.clear();
  }

  forgetUser(userId: string): void {
    this.generation += 1;
    for (const sessionId of [...(this.sessionsByUser.get(userId) ?? [])]) this.remove(sessionId);
  }

  forgetTenant(tenantId: string): void {
    this.generation += 1;
    for (const sessionId of [...(this.sessionsByTenant.get(tenantId) ?? [])]) this.remove(sessionId);
  }

  forgetSession(sessionId: string): void {
    this.generation += 1;
    this.remove(sessionId);
  }

  private lookup(userId: string, sessionId: string, activity: boolean): Principal | null {
    if (!this.available || !this.enabled) return null;
    const entry = this.entries.get(sessionId);
    if (!entry) return null;
    const now = Date.now();
    const { clock } = entry;
    const dbNow = now + clock.offsetMs;
    const fresh =
      entry.principal.userId === userId &&
      now - entry.readAt < this.options.ttlMs &&
      dbNow < clock.expiresAt - BOUNDARY_MARGIN_MS &&
      dbNow < clock.lastActiveAt + clock.idleLimitMs - BOUNDARY_MARGIN_MS &&
      !(activity && dbNow - clock.lastActiveAt >= ACTIVITY_WRITE_MS);
    if (fresh) return entry.principal;
    this.remove(sessionId);
    return null;
  }

  private store(entry: Entry): void {
    const { sessionId, userId, homeTenantId } = entry.principal;
    this.remove(sessionId);
    while (this.entries.size >= this.options.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.remove(oldest.value);
    }
    this.entries.set(sessionId, entry);
    addTo(this.sessionsByUser, userId, sessionId);
    if (homeTenantId !== null) addTo(this.sessionsByTenant, homeTenantId, sessionId);
  }

  private remove(sessionId: string): void {
    const entry = this.entries.get(sessionId);
    if (!entry) return;
    this.entries.delete(sessionId);
    removeFrom(this.sessionsByUser, entry.principal.userId, sessionId);
    if (entry.principal.homeTenantId !== null) {
      removeFrom(this.sessionsByTenant, entry.principal.homeTenantId, sessionId);
    }
  }
}

function addTo(index: Map<string, Set<string>>, key: string, sessionId: string): void {
  const set = index.get(key);
  if (set) set.add(sessionId);
  else index.set(key, new Set([sessionId]));
}

function removeFrom(index: Map<string, Set<string>>, key: string, sessionId: string): void {
  const set = index.get(key);
  if (!set) return;
  set.delete(sessionId);
  if (set.size === 0) index.delete(key);
}
