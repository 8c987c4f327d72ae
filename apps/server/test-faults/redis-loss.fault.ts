import { spawn, type ChildProcess } from 'node:child_process';
import type { Alert, AlertRule } from '@tidewatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { Api, startInstances, tenantA } from '../test/harness.ts';
import { dataOf, TestSocket } from '../test/realtime-client.ts';
import { adminQuery, freePort, sleep, until } from './fault-tools.ts';

const DEVICES = 4;

interface TestDevice {
  readonly auth: string;
  readonly seriesId: number;
}

/** A Redis of the test's own, so killing it touches nothing else on the machine. */
class TestRedis {
  private child: ChildProcess | undefined;

  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${String(this.port)}`;
  }

  async start(): Promise<void> {
    this.child = spawn('redis-server', ['--port', String(this.port), '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    await until(
      async () => {
        const { createConnection } = await import('node:net');
        return new Promise<true | undefined>((resolve) => {
          const probe = createConnection(this.port, '127.0.0.1');
          probe.once('connect', () => {
            probe.destroy();
            resolve(true);
          });
          probe.once('error', () => {
            resolve(undefined);
          });
        });
      },
      10_000,
      'redis-server listening',
    );
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}

/**
 * Redis carries the alert events between instances. When it dies, events raised on one instance cannot reach
 * the clients of the other; when it is back, those clients must resync so that no operator keeps a stale alert.
 */
describe('Redis loss with two instances', () => {
  let redis: TestRedis;
  const instances: RunningServer[] = [];
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    redis = new TestRedis(await freePort());
    await redis.start();
    instances.push(...(await startInstances(2, redis.url)));
  });
  afterAll(async () => {
    for (const socket of sockets) socket.close();
    for (const instance of instances) await instance.close();
    await redis.kill();
  });

  it('delivers, after Redis comes back, every alert change made on the other instance while it was down', async () => {
    const [one, two] = instances;
    if (!one || !two) throw new Error('two instances');
    const api = new Api(two.url);
    const admin = await api.tokenFor(tenantA.email('admin'));
    const supervisor = await api.tokenFor(tenantA.email('supervisor'));
    const devices: TestDevice[] = [];
    const rules: AlertRule[] = [];
    for (let i = 0; i < DEVICES; i += 1) {
      const created = await api.request<{ device: { id: string; series: { id: number }[] }; secret: string }>(
        'POST',
        '/api/v1/devices',
        { token: admin, body: { name: `Redis fault node ${String(i)}`, metricKeys: ['level_cm'] } },
      );
      const seriesId = created.body.device.series[0]?.id ?? 0;
      devices.push({
        auth: `Basic ${Buffer.from(`${created.body.device.id}:${created.body.secret}`).toString('base64')}`,
        seriesId,
      });
      const rule = await api.request<AlertRule>('POST', '/api/v1/alert-rules', {
        token: supervisor,
        body: {
          name: `Redis fault high ${String(i)}`,
          condition: 'high',
          priority: 'high',
          scope: 'series',
          seriesId,
          setpoint: 100,
        },
      });
      expect(rule.status).toBe(201);
      rules.push(rule.body);
    }
    let readingsAccepted = 0;
    const ingest = async (device: TestDevice, value: number) => {
      const answer = await api.request('POST', '/api/v1/ingest', {
        headers: { authorization: device.auth },
        body: { values: { level_cm: value } },
      });
      expect(answer.status).toBe(202);
      readingsAccepted += 1;
    };
    const raise = async (device: TestDevice): Promise<Alert> => {
      await ingest(device, 150);
      await two.alerts?.drained();
      const rows = await adminQuery<{ id: string }>(
        'SELECT id FROM alerts WHERE series_id = $1 AND closed_at IS NULL',
        [device.seriesId],
      );
      const id = rows[0]?.id;
      if (!id) throw new Error('no alert raised');
      return (await api.request<Alert>('GET', `/api/v1/alerts/${id}`, { token: supervisor })).body;
    };

    // The operator's console on instance one: it keeps the sequence it is up to date with and sends it again on
    // every reconnect, as the console does.
    const token = await new Api(one.url).tokenFor(tenantA.email('operator'));
    const kept: { lastSequence?: number } = {};
    const watcher = await TestSocket.connect(one.url, () => ({ token, ...kept }), { reconnection: true });
    sockets.push(watcher);
    const [first, second, third, fourth] = devices;
    if (!first || !second || !third || !fourth) throw new Error('four devices');

    // Before the fault: an alert raised on instance two reaches instance one's client through Redis.
    const before = await raise(first);
    await watcher.waitFor('alert', (e) => e.alert.id === before.id);
    kept.lastSequence = watcher.lastSequence();

    await redis.kill();
    // While Redis is down: two raises and an acknowledgement on instance two; instance one cannot hear them.
    const during = [await raise(second), await raise(third)];
    const acknowledged = await api.request<Alert>('POST', `/api/v1/alerts/${before.id}/acknowledge`, {
      token: supervisor,
      body: { comment: 'Acknowledged while Redis was down' },
    });
    expect(acknowledged.status).toBe(200);
    await sleep(1000);
    const heardDuringOutage = watcher
      .all('alert')
      .filter((e) => during.some((alert) => alert.id === e.alert.id));

    await redis.start();
    for (const alert of during) await watcher.waitFor('alert', (e) => e.alert.id === alert.id, 30_000);
    await watcher.waitFor(
      'alert',
      (e) => e.alert.id === before.id && e.alert.state === 'active_acknowledged',
      30_000,
    );
    // After the fault: the link works again.
    const after = await raise(fourth);
    await watcher.waitFor('alert', (e) => e.alert.id === after.id, 10_000);

    // The client's view (the newest event per alert) equals the database's, alert by alert.
    const latest = new Map<string, { sequence: number; state: string }>();
    for (const event of watcher.all('alert')) {
      const held = latest.get(event.alert.id);
      if (!held || held.sequence < event.sequence)
        latest.set(event.alert.id, { sequence: event.sequence, state: event.alert.state });
    }
    const stored = await adminQuery<{ id: string; rule_id: string; state: string }>(
      'SELECT id, rule_id, state FROM alerts WHERE rule_id = ANY($1::uuid[]) ORDER BY raised_at',
      [rules.map((rule) => rule.id)],
    );
    const readings = await adminQuery<{ n: string }>(
      'SELECT count(*) AS n FROM telemetry WHERE series_id = ANY($1::int[])',
      [devices.map((device) => device.seriesId)],
    );
    // Events published while Redis was down may still arrive late from the publisher's queue, but nothing
    // promises it: instance one makes its clients reconnect and replay from their sequence in any case.
    const resyncs = await until(
      async () => {
        const metrics = await (await fetch(`${one.url}/metrics`)).text();
        const count = Number(/^realtime_resync_reconnects_total (\S+)$/m.exec(metrics)?.[1] ?? 0);
        return count >= 1 ? count : undefined;
      },
      15_000,
      "the resync of instance one's clients",
    );
    await until(
      () => Promise.resolve(watcher.all('session:ready').length >= 2 ? true : undefined),
      15_000,
      'the watcher reconnected',
    );

    expect(heardDuringOutage, 'nothing crosses while Redis is down').toEqual([]);
    expect(stored.map((row) => row.rule_id).sort(), 'one alert per rule, none duplicated').toEqual(
      rules.map((rule) => rule.id).sort(),
    );
    for (const row of stored) expect(latest.get(row.id)?.state, `alert ${row.id}`).toBe(row.state);
    expect(Number(readings[0]?.n)).toBe(readingsAccepted);
    expect(resyncs).toBe(1);
    expect(dataOf(await watcher.request('alerts:resync', { after: watcher.lastSequence() })).items).toEqual(
      [],
    );
  });
});
