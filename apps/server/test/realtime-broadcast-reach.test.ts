import type { Alert, Page } from '@tidewatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { Api, startTestServer, tenantB } from './harness.ts';
import { dataOf, eventually, TestSocket } from './realtime-client.ts';

// Hundreds of sockets, more than one turn of the broadcast queue holds (REALTIME_SOCKETS_PER_TURN is set below
// it): every alert change reaches every one of them, in order, and live telemetry still gets through while the
// alerts stream.
const SOCKETS = 300;
const ALERTS = 40;

describe('a broadcast to hundreds of sockets', () => {
  let server: RunningServer;
  let api: Api;
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    server = await startTestServer({
      REALTIME_SOCKETS_PER_TURN: '64',
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

  it('reaches every socket with every alert, in order, and telemetry is not starved by them', async () => {
    const supervisor = await api.tokenFor(tenantB.email('supervisor'));
    const alerts = await api.request<Page<Alert>>('GET', '/api/v1/alerts?open=true&limit=1', {
      token: supervisor,
    });
    const [alert] = alerts.body.items;
    if (!alert) throw new Error('the demo has open alerts');
    const created = await api.request<{ device: { id: string; series: { id: number }[] }; secret: string }>(
      'POST',
      '/api/v1/devices',
      {
        token: await api.tokenFor(tenantB.email('admin')),
        body: { name: 'Broadcast reach test node', metricKeys: ['level_cm'] },
      },
    );
    const deviceAuth = `Basic ${Buffer.from(`${created.body.device.id}:${created.body.secret}`).toString('base64')}`;
    const seriesId = created.body.device.series[0]?.id ?? 0;
    const token = await api.tokenFor(tenantB.email('operator'));
    for (let i = 0; i < SOCKETS; i += 50) {
      sockets.push(
        ...(await Promise.all(
          Array.from({ length: Math.min(50, SOCKETS - i) }, () => TestSocket.connect(server.url, { token })),
        )),
      );
    }
    await Promise.all(
      sockets.map(async (socket) => {
        dataOf(await socket.request('telemetry:subscribe', { seriesIds: [seriesId] }));
      }),
    );
    const tenantId = sockets[0]?.ready?.tenantId ?? '';

    // Alerts in a steady stream, a reading in the middle of it.
    const firstSequence = 2_000_000_000;
    for (let i = 0; i < ALERTS; i += 1) {
      server.bus.emit('alert.changed', {
        tenantId,
        zoneId: alert.zoneId,
        sequence: firstSequence + i,
        alert,
      });
      if (i === ALERTS / 2) {
        await api.request('POST', '/api/v1/ingest', {
          headers: { authorization: deviceAuth },
          body: { values: { level_cm: 123.5 } },
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }

    const burstOf = (socket: TestSocket) =>
      socket
        .all('alert')
        .map((event) => event.sequence)
        .filter((sequence) => sequence >= firstSequence);
    await eventually(
      () => (sockets.every((socket) => burstOf(socket).length >= ALERTS) ? true : undefined),
      30_000,
      'every alert at every socket',
    );
    await eventually(
      () =>
        sockets.every((socket) =>
          socket.all('telemetry').some((t) => t.readings.some((r) => r[0] === seriesId && r[2] === 123.5)),
        )
          ? true
          : undefined,
      30_000,
      'the reading at every socket',
    );

    const expected = Array.from({ length: ALERTS }, (_, i) => firstSequence + i);
    for (const socket of sockets) expect(burstOf(socket)).toEqual(expected);
  }, 120_000);
});
