import type { Socket as NetSocket } from 'node:net';
import type { Alert, AlertEvent, Page } from '@tidewatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { Api, startTestServer, tenantB } from './harness.ts';
import { dataOf, eventually, TestSocket } from './realtime-client.ts';

/** Stops reading the socket's TCP connection, as a frozen client or a stalled network would. */
function stopReading(client: TestSocket): () => void {
  // The Node client's transport keeps its `ws` WebSocket, which keeps the TCP socket: internals, for a test only.
  const transport = client.socket.io.engine.transport as unknown as { ws: { _socket: NetSocket } };
  const tcp = transport.ws._socket;
  tcp.pause();
  return () => {
    tcp.resume();
  };
}

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN;
};

describe('a client that stops reading', () => {
  let server: RunningServer;
  let api: Api;
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    server = await startTestServer({
      REALTIME_MAX_BUFFERED: '500',
      REALTIME_COALESCE_MS: '50',
      INGEST_DEVICE_CACHE_MS: '0',
      ALERT_JOB_INTERVAL_MS: '3600000',
    });
    api = new Api(server.url);
  });
  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await server.close();
  });

  it('does not slow the others, loses no alert, and is cut off and resynced once too far behind', async () => {
    const supervisor = await api.tokenFor(tenantB.email('supervisor'));
    const alerts = await api.request<Page<Alert>>('GET', '/api/v1/alerts?open=true&limit=10', {
      token: supervisor,
    });
    const [alert, later] = alerts.body.items;
    if (!alert || !later) throw new Error('the demo has open alerts');
    const created = await api.request<{ device: { id: string; series: { id: number }[] }; secret: string }>(
      'POST',
      '/api/v1/devices',
      {
        token: await api.tokenFor(tenantB.email('admin')),
        body: { name: 'Slow client test node', metricKeys: ['level_cm'] },
      },
    );
    const deviceAuth = `Basic ${Buffer.from(`${created.body.device.id}:${created.body.secret}`).toString('base64')}`;
    const seriesId = created.body.device.series[0]?.id ?? 0;
    const fast = await TestSocket.connect(server.url, {
      token: await api.tokenFor(tenantB.email('operator')),
    });
    const slowToken = await api.tokenFor(tenantB.email('operator2'));
    // What the console keeps: the sequence it is up to date with, sent again on every reconnect.
    const kept: { lastSequence?: number } = {};
    const slow = await TestSocket.connect(server.url, () => ({ token: slowToken, ...kept }), {
      reconnection: true,
    });
    sockets.push(fast, slow);
    kept.lastSequence = slow.ready?.sequence ?? 0;
    for (const client of [fast, slow])
      dataOf(await client.request('telemetry:subscribe', { seriesIds: [seriesId] }));
    const tenantId = fast.ready?.tenantId ?? '';

    // A burst of large alert events, far more than the slow client's connection can hold, with telemetry.
    const resume = stopReading(slow);
    const burst = 2000;
    const firstSequence = 1_000_000_000;
    const sentAt = new Map<number, number>();
    const big = { ...alert, message: 'x'.repeat(16_000) };
    for (let i = 0; i < burst; i += 1) {
      const sequence = firstSequence + i;
      sentAt.set(sequence, performance.now());
      server.bus.emit('alert.changed', { tenantId, zoneId: alert.zoneId, sequence, alert: big });
      if (i % 100 === 99) {
        await api.request('POST', '/api/v1/ingest', {
          headers: { authorization: deviceAuth },
          body: { values: { level_cm: 100 + i / 100 } },
        });
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    await eventually(
      () => (fast.all('alert').filter((e) => e.sequence >= firstSequence).length >= burst ? true : undefined),
      20_000,
      'the whole burst',
    );
    const lastTelemetry = await fast.waitFor('telemetry', (t) =>
      t.readings.some((r) => r[2] === 100 + 1999 / 100),
    );
    const cutOff = await eventually(() => (server.realtime.io.of('/').sockets.size === 1 ? true : undefined));
    // Missed while cut off: a real change, which the replay must bring.
    await api.request('POST', `/api/v1/alerts/${later.id}/comments`, {
      token: supervisor,
      body: { comment: 'While the slow client was away' },
    });
    resume();
    const resynced = await slow.waitFor('session:ready', (ready) => ready.replayed > 0, 60_000);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();

    const burstReceived = fast.received.flatMap((r) => {
      const event = r.payload as AlertEvent;
      return r.event === 'alert' && event.sequence >= firstSequence ? [{ event, at: r.at }] : [];
    });
    const latencies = burstReceived.map(({ event, at }) => at - (sentAt.get(event.sequence) ?? 0));
    expect(new Set(burstReceived.map(({ event }) => event.sequence)).size).toBe(burst);
    expect(percentile(latencies, 0.99)).toBeLessThan(1000);
    expect(lastTelemetry.readings).toHaveLength(1);
    expect(cutOff).toBe(true);
    expect(metrics).toMatch(/realtime_slow_disconnects_total 1/);
    expect(Number(/realtime_telemetry_deferred_total (\d+)/.exec(metrics)?.[1])).toBeGreaterThan(0);
    expect(slow.all('alert').length).toBeLessThan(burst);
    expect(resynced.reload).toBe(false);
    expect(slow.all('alert').some((e) => e.alert.id === later.id && e.sequence < firstSequence)).toBe(true);
  });
});
