import { withTenantClient, type DbContext } from '@tidewatch/db';
import type { Alert, Page } from '@tidewatch/shared';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AlertChange } from '../src/modules/alert-engine/alert-changes.ts';
import { transitionAlerts } from '../src/modules/alert-engine/alert-lifecycle.ts';
import { withAlertTransaction } from '../src/modules/alert-engine/alert-transaction.ts';
import type { RunningServer } from '../src/server.ts';
import { adminQuery, Api, startTestServer, tenantB, tenantId } from './harness.ts';
import { TestSocket } from './realtime-client.ts';

/** The tenant's alert sequence is numbered at commit: gap-free, in commit order, and replayed once committed. */
describe('the alert sequence', () => {
  let server: RunningServer;
  let api: Api;
  let pool: pg.Pool;
  let context: DbContext;
  let alerts: Alert[];
  const events: AlertChange[] = [];
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    // No background alert jobs: every change of the tenant in these tests is one the test made.
    server = await startTestServer({ ALERT_JOB_INTERVAL_MS: '3600000' });
    server.bus.on('alert.changed', (event) => events.push(event));
    api = new Api(server.url);
    pool = new pg.Pool({ connectionString: inject('appUrl'), max: 4 });
    const [supervisor] = await adminQuery<{ id: string }>('SELECT id FROM users WHERE email = $1', [
      tenantB.email('supervisor'),
    ]);
    context = { tenantId: await tenantId(tenantB.slug), userId: supervisor?.id ?? null, role: 'supervisor' };
    const page = await api.request<Page<Alert>>('GET', '/api/v1/alerts?open=true&limit=20', {
      token: await api.tokenFor(tenantB.email('supervisor')),
    });
    // The last of the page: other test files act on the first ones.
    alerts = page.body.items.slice(-2);
    expect(alerts.length).toBeGreaterThanOrEqual(2);
  });
  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await pool.end();
    await server.close();
  });

  const lastSequence = async (): Promise<number> => {
    const rows = await adminQuery<{ last: string }>(
      'SELECT last_sequence AS last FROM alert_sequences WHERE tenant_id = $1',
      [context.tenantId],
    );
    return Number(rows[0]?.last ?? 0);
  };
  const sequencesAfter = async (after: number): Promise<number[]> => {
    const rows = await adminQuery<{ sequence: string }>(
      'SELECT sequence FROM alert_transitions WHERE tenant_id = $1 AND sequence > $2 ORDER BY sequence',
      [context.tenantId, after],
    );
    return rows.map((row) => Number(row.sequence));
  };
  const comment = (client: pg.PoolClient, alert: Alert | undefined, text: string) =>
    transitionAlerts(
      client,
      'comment',
      { ids: [alert?.id ?? ''], zones: null },
      { userId: context.userId, comment: text },
    );
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_v, i) => from + i);
  /** The tenant's numbers after `after`, checked gap-free (other test files may change the tenant meanwhile). */
  const gapFreeAfter = async (after: number): Promise<number[]> => {
    const sequences = await sequencesAfter(after);
    expect(sequences).toEqual(range(after + 1, after + sequences.length));
    expect(await lastSequence()).toBeGreaterThanOrEqual(after + sequences.length);
    return sequences;
  };

  it('numbers a change when it commits: one written later but committed first is not held up, and comes first', async () => {
    const before = await lastSequence();
    let written: () => void = () => undefined;
    const firstWritten = new Promise<void>((resolve) => (written = resolve));
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));

    const first = withAlertTransaction(pool, context, async (client) => {
      const changes = await comment(client, alerts[0], 'Written first, committed last');
      written();
      await held;
      return { changes };
    });
    await firstWritten;
    // The old per-write lock would make this wait for `first` until the lock timeout.
    const second = await withAlertTransaction(pool, context, async (client) => ({
      changes: await comment(client, alerts[1], 'Written last, committed first'),
    }));
    release();
    const firstDone = await first;

    const [secondSequence] = second.changes.map((c) => c.sequence);
    const [firstSequence] = firstDone.changes.map((c) => c.sequence);
    expect(secondSequence).toBeGreaterThan(before);
    expect(firstSequence).toBeGreaterThan(secondSequence ?? Infinity);
    expect(await gapFreeAfter(before)).toEqual(expect.arrayContaining([secondSequence, firstSequence]));
  });

  it('gives concurrent changes gap-free numbers, published as committed', async () => {
    const before = await lastSequence();
    const published = events.length;
    const token = await api.tokenFor(tenantB.email('supervisor'));

    const answers = await Promise.all(
      Array.from({ length: 20 }, (_v, i) =>
        api.request('POST', `/api/v1/alerts/${alerts[i % 2]?.id ?? ''}/comments`, {
          token,
          body: { comment: `Concurrent ${String(i)}` },
        }),
      ),
    );

    expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 20 }, () => 201));
    const numbers = await gapFreeAfter(before);
    const sent = events.slice(published).map((e) => e.sequence);
    expect(sent).toHaveLength(20);
    expect(numbers).toEqual(expect.arrayContaining(sent));
    const pending = await adminQuery<{ n: string }>(
      'SELECT count(*) AS n FROM alert_transitions WHERE sequence < 0',
    );
    expect(Number(pending[0]?.n)).toBe(0);
  });

  it('numbers at commit what a transaction left pending', async () => {
    const before = await lastSequence();

    const written = await withTenantClient(pool, context, (client) =>
      comment(client, alerts[0], 'Committed without numbering'),
    );

    const pending = written[0]?.sequence ?? 0;
    expect(pending).toBeLessThan(0);
    const [row] = await adminQuery<{ sequence: string }>(
      'SELECT sequence FROM alert_transitions WHERE id = $1',
      [-pending],
    );
    expect(await gapFreeAfter(before)).toContain(Number(row?.sequence));
  });

  it('replays a committed change to a client that reconnects after it', async () => {
    const token = await api.tokenFor(tenantB.email('operator'));
    const before = await TestSocket.connect(server.url, { token });
    sockets.push(before);
    const after = before.lastSequence();
    before.close();

    const changed = await withAlertTransaction(pool, context, async (client) => ({
      changes: await comment(client, alerts[1], 'Missed while away'),
    }));
    const again = await TestSocket.connect(server.url, { token, lastSequence: after });
    sockets.push(again);

    const replayed = again.all('alert');
    expect(replayed.map((e) => [e.sequence, e.alert.id])).toContainEqual([
      changed.changes[0]?.sequence,
      alerts[1]?.id,
    ]);
    expect(again.ready?.sequence).toBeGreaterThanOrEqual(changed.changes[0]?.sequence ?? Infinity);
  });
});
