import type { DeviceCommand, OpcuaBinding, OpcuaPreview, OpcuaServerCertificate } from '@tidewatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { freePort } from '../src/testing/ports.ts';
import { adminQuery, Api, startTestServer, tenantA } from './harness.ts';
import {
  LEVEL_NODE,
  makePeerIdentity,
  SPEED_NODE,
  startPeer,
  type PeerIdentity,
  type RunningPeer,
} from '../src/testing/opcua-peer.ts';

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Stored readings of a series, oldest first. */
async function stored(seriesId: number): Promise<{ time: number; value: number }[]> {
  const rows = await adminQuery<{ time: Date; value: number }>(
    'SELECT time, value FROM telemetry WHERE series_id = $1 ORDER BY time',
    [seriesId],
  );
  return rows.map((row) => ({ time: row.time.getTime(), value: row.value }));
}

async function metricValue(api: Api, name: string, labels: string): Promise<number> {
  const text = (await api.request<string>('GET', '/metrics')).body;
  const prefix = `${name}{${labels}} `;
  const line = text.split('\n').find((l) => l.startsWith(prefix));
  return line ? Number(line.slice(prefix.length)) : 0;
}

describe('OPC UA connector against a real OPC UA server', () => {
  let peerIdentity: PeerIdentity;
  let port: number;
  let peer: RunningPeer;
  let server: RunningServer;
  let api: Api;
  let admin: string;
  let operator: string;
  // Source times the PLC stamps its values with: whole seconds in the recent past.
  const base = Math.floor(Date.now() / 1000) * 1000 - 60_000;
  const at = (second: number) => new Date(base + second * 1000);
  let plainDevice: string;
  let levelSeries: number;

  async function newDevice(name: string): Promise<string> {
    const response = await api.request<{ device: { id: string } }>('POST', '/api/v1/devices', {
      token: admin,
      body: { name, transport: 'opcua', metricKeys: [] },
    });
    expect(response.status).toBe(201);
    return response.body.device.id;
  }

  async function binding(deviceId: string): Promise<OpcuaBinding> {
    const response = await api.request<OpcuaBinding>('GET', `/api/v1/devices/${deviceId}/opcua`, {
      token: admin,
    });
    expect(response.status).toBe(200);
    return response.body;
  }

  beforeAll(async () => {
    peerIdentity = await makePeerIdentity();
    port = await freePort();
    peer = await startPeer(port, peerIdentity, { value: 1.5, sourceTime: at(0) });
    server = await startTestServer({
      OPCUA_ENABLED: 'true',
      OPCUA_TICK_MS: '200',
      OPCUA_LEASE_S: '5',
      OPCUA_BACKOFF_BASE_MS: '200',
      OPCUA_BACKOFF_MAX_MS: '1000',
      OPCUA_TIMEOUT_MS: '5000',
      INGEST_DEVICE_CACHE_MS: '0',
    });
    api = new Api(server.url);
    admin = await api.tokenFor(tenantA.email('admin'));
    operator = await api.tokenFor(tenantA.email('supervisor'));
  });

  afterAll(async () => {
    await server.close();
    await peer.stop();
  });

  it('stores subscription values once each under their source time; a bad node id is counted, not fatal', async () => {
    plainDevice = await newDevice('PLC 7 tank level');
    const before = await metricValue(api, 'tidewatch_opcua_item_errors_total', 'status="BadNodeIdUnknown"');
    const saved = await api.request<OpcuaBinding>('PUT', `/api/v1/devices/${plainDevice}/opcua`, {
      token: admin,
      body: {
        endpointUrl: peer.endpointUrl,
        publishingIntervalMs: 100,
        items: [
          { nodeId: LEVEL_NODE, metricKey: 'level_cm', samplingIntervalMs: 50, scale: 100 },
          { nodeId: 'ns=1;s=Tank1.NoSuchNode', metricKey: 'temperature_c', samplingIntervalMs: 50 },
        ],
        commands: [
          { command: 'set_pump_speed', kind: 'write', nodeId: SPEED_NODE },
          { command: 'set_level', kind: 'write', nodeId: LEVEL_NODE },
        ],
      },
    });
    expect(saved.status).toBe(200);
    levelSeries = saved.body.items.find((item) => item.metricKey === 'level_cm')?.seriesId ?? 0;
    // The initial value, then three changes.
    await waitFor(
      async () => ((await stored(levelSeries)).length === 1 ? true : undefined),
      'the initial value',
    );
    for (const [second, value] of [
      [1, 2],
      [2, 2.5],
      [3, 3.25],
    ] as const) {
      peer.setLevel(value, at(second));
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    const readings = await waitFor(async () => {
      const rows = await stored(levelSeries);
      return rows.length >= 4 ? rows : undefined;
    }, 'four readings');
    expect(readings).toEqual([
      { time: at(0).getTime(), value: 150 },
      { time: at(1).getTime(), value: 200 },
      { time: at(2).getTime(), value: 250 },
      { time: at(3).getTime(), value: 325 },
    ]);
    const state = await waitFor(async () => {
      const current = await binding(plainDevice);
      return current.status.state === 'connected' && current.status.lastReadAt ? current : undefined;
    }, 'the binding connected');
    expect(state.status.lastReadAt).toBe(at(3).toISOString());
    expect(state.status.lastError).toContain('NoSuchNode');
    expect(
      await metricValue(api, 'tidewatch_opcua_item_errors_total', 'status="BadNodeIdUnknown"'),
    ).toBeGreaterThan(before);
  });

  it('previews the mapped nodes live and browses the address space, storing nothing', async () => {
    const before = await stored(levelSeries);
    const preview = await api.request<OpcuaPreview>('POST', `/api/v1/devices/${plainDevice}/opcua/preview`, {
      token: admin,
      body: {
        endpointUrl: peer.endpointUrl,
        items: [
          { nodeId: LEVEL_NODE, metricKey: 'level_cm', scale: 100 },
          { nodeId: 'ns=1;s=Tank1.NoSuchNode', metricKey: 'temperature_c' },
        ],
        browse: 'i=85',
      },
    });
    expect(preview.status).toBe(200);
    expect(preview.body.values[0]).toMatchObject({ raw: '3.25', mapped: 325, stored: 325, rejected: null });
    expect(preview.body.values[1]).toMatchObject({ statusCode: 'BadNodeIdUnknown', rejected: 'bad_status' });
    expect(preview.body.browsed?.map((node) => node.browseName)).toContain('1:Tank1');
    expect(await stored(levelSeries)).toEqual(before);
  });

  it('carries a write command through the lifecycle: acknowledged on Good, failed on a refusal', async () => {
    const sent = await api.request<DeviceCommand>('POST', `/api/v1/devices/${plainDevice}/commands`, {
      token: operator,
      body: { command: 'set_pump_speed', params: { value: 42.5 } },
    });
    expect(sent.status).toBe(202);
    const done = await waitFor(async () => {
      const command = (
        await api.request<DeviceCommand>('GET', `/api/v1/commands/${sent.body.id}`, { token: operator })
      ).body;
      return command.state === 'acknowledged' || command.state === 'failed' ? command : undefined;
    }, 'the command settled');
    expect(done).toMatchObject({ state: 'acknowledged', result: { statusCode: 'Good' } });
    expect(peer.nodes.speed.readValue().value.value).toBe(42.5);

    const refused = await api.request<DeviceCommand>('POST', `/api/v1/devices/${plainDevice}/commands`, {
      token: operator,
      body: { command: 'set_level', params: { value: 1 } },
    });
    const failed = await waitFor(async () => {
      const command = (
        await api.request<DeviceCommand>('GET', `/api/v1/commands/${refused.body.id}`, { token: operator })
      ).body;
      return command.state === 'failed' || command.state === 'acknowledged' ? command : undefined;
    }, 'the refused command settled');
    expect(failed.state).toBe('failed');
    expect(failed.failureReason).toContain('BadNotWritable');

    const unmapped = await api.request('POST', `/api/v1/devices/${plainDevice}/commands`, {
      token: operator,
      body: { command: 'open_valve', params: {} },
    });
    expect(unmapped.status).toBe(409);
  });

  it('reconnects after the peer restarts and stores no reading twice', async () => {
    await peer.stop();
    await waitFor(async () => {
      const current = await binding(plainDevice);
      return current.status.state === 'reconnecting' ? true : undefined;
    }, 'the binding reconnecting');
    // The PLC comes back holding its last value, with its old source time.
    peer = await startPeer(port, peerIdentity, { value: 3.25, sourceTime: at(3) });
    await waitFor(async () => {
      const current = await binding(plainDevice);
      return current.status.state === 'connected' ? true : undefined;
    }, 'the binding connected again');
    peer.setLevel(4, at(4));
    await new Promise((resolve) => setTimeout(resolve, 150));
    peer.setLevel(4.5, at(5));
    const readings = await waitFor(async () => {
      const rows = await stored(levelSeries);
      return rows.length >= 6 ? rows : undefined;
    }, 'six readings');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await stored(levelSeries)).toEqual(readings);
    expect(readings.map((r) => r.value)).toEqual([150, 200, 250, 325, 400, 450]);
    expect(readings.map((r) => r.time)).toEqual([0, 1, 2, 3, 4, 5].map((s) => at(s).getTime()));
  });

  it('refuses a server certificate the tenant does not trust, and connects once an administrator approves it', async () => {
    const deviceId = await newDevice('PLC 7 secured');
    const saved = await api.request<OpcuaBinding>('PUT', `/api/v1/devices/${deviceId}/opcua`, {
      token: admin,
      body: {
        endpointUrl: peer.endpointUrl,
        securityPolicy: 'Basic256Sha256',
        securityMode: 'SignAndEncrypt',
        publishingIntervalMs: 100,
        items: [{ nodeId: LEVEL_NODE, metricKey: 'level_cm', samplingIntervalMs: 50 }],
      },
    });
    expect(saved.status).toBe(200);
    const series = saved.body.items[0]?.seriesId ?? 0;
    const refused = await waitFor(async () => {
      const current = await binding(deviceId);
      return current.status.state === 'untrusted' ? current : undefined;
    }, 'the binding refused for its certificate');
    expect(refused.status.serverCertificate?.status).toBe('pending');
    expect(await stored(series)).toEqual([]);
    const pending = await api.request<OpcuaServerCertificate[]>(
      'GET',
      '/api/v1/opcua/server-certificates?status=pending',
      { token: admin },
    );
    const certificate = pending.body.find(
      (c) => c.thumbprint === refused.status.serverCertificate?.thumbprint,
    );
    expect(certificate).toMatchObject({ applicationUri: peerIdentity.applicationUri, status: 'pending' });

    const approved = await api.request<OpcuaServerCertificate>(
      'PATCH',
      `/api/v1/opcua/server-certificates/${certificate?.id ?? ''}`,
      { token: admin, body: { status: 'trusted' } },
    );
    expect(approved.status).toBe(200);
    await waitFor(async () => {
      const current = await binding(deviceId);
      return current.status.state === 'connected' ? true : undefined;
    }, 'the binding connected after approval');
    await waitFor(
      async () => ((await stored(series)).length === 1 ? true : undefined),
      'a reading over the secure channel',
    );
  });
});
