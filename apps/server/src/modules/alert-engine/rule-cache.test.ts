import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RuleCache } from './rule-cache.ts';

type Query = (text: unknown, values?: unknown) => Promise<unknown>;

/**
 * The real database, reached through a pool whose next checkout stops at its COMMIT until the test lets it go:
 * a load has then read the rules, and not yet finished, at a moment the test chooses.
 */
class GatedPool extends pg.Pool {
  private held: { reached: () => void; opened: Promise<void> } | null = null;

  /** Holds the next checkout at its COMMIT; `atCommit` resolves once it is there, `open` lets it go. */
  holdNextCommit(): { atCommit: Promise<void>; open: () => void } {
    let reached = (): void => undefined;
    let open = (): void => undefined;
    const atCommit = new Promise<void>((resolve) => (reached = resolve));
    const opened = new Promise<void>((resolve) => (open = resolve));
    this.held = { reached, opened };
    return { atCommit, open };
  }

  override connect(): Promise<pg.PoolClient>;
  override connect(callback: Parameters<pg.Pool['connect']>[0]): void;
  override connect(callback?: Parameters<pg.Pool['connect']>[0]): Promise<pg.PoolClient> | undefined {
    if (callback) {
      super.connect(callback);
      return undefined;
    }
    const held = this.held;
    this.held = null;
    return super.connect().then((client) => {
      if (!held) return client;
      const query = client.query.bind(client) as Query;
      const gated: Query = async (text, values) => {
        if (text === 'COMMIT') {
          held.reached();
          await held.opened;
          client.query = query as typeof client.query;
        }
        return query(text, values);
      };
      client.query = gated as typeof client.query;
      return client;
    });
  }
}

describe('the alert engine rule cache', () => {
  let admin: pg.Pool;
  let pool: GatedPool;
  let tenantId: string;
  let seriesId: number;

  beforeAll(async () => {
    admin = new pg.Pool({ connectionString: inject('adminUrl'), max: 2 });
    pool = new GatedPool({ connectionString: inject('appUrl'), max: 2 });
    const { rows } = await admin.query<{ tenant_id: string; id: string }>(
      `SELECT s.tenant_id, s.id FROM series s JOIN tenants t ON t.id = s.tenant_id
        WHERE t.slug = 'pune-east' ORDER BY s.id LIMIT 1`,
    );
    const [series] = rows;
    if (!series) throw new Error('the seed has series');
    tenantId = series.tenant_id;
    seriesId = Number(series.id);
  });
  afterAll(async () => {
    await admin.query(`DELETE FROM alert_rules WHERE name LIKE 'Rule cache test%'`);
    await Promise.all([admin.end(), pool.end()]);
  });

  const rulesOn = async (cache: RuleCache): Promise<number> =>
    ((await cache.get(tenantId, [seriesId])).valueRules.get(seriesId) ?? []).length;

  it('never keeps, nor hands to later callers, a load that was under way when the rules changed', async () => {
    const cache = new RuleCache(pool, 60_000);
    const before = await rulesOn(cache);
    cache.invalidate(tenantId);

    // A load that read the rules before the change and finishes after it.
    const { atCommit, open } = pool.holdNextCommit();
    const early = cache.get(tenantId, [seriesId]);
    await atCommit;
    await admin.query(
      `INSERT INTO alert_rules (tenant_id, name, condition, priority, scope, series_id, setpoint)
       VALUES ($1, 'Rule cache test', 'high', 'low', 'series', $2, 1)`,
      [tenantId, seriesId],
    );
    cache.invalidate(tenantId);
    // Asked for after the change, while the early load still waits: a load of its own, which sees the new rule.
    const later = rulesOn(cache);
    open();
    expect(((await early).valueRules.get(seriesId) ?? []).length).toBe(before);
    expect(await later).toBe(before + 1);
    expect(await rulesOn(cache)).toBe(before + 1);
  });
});
