import type { DeviceCommand, ModbusBinding, PutModbusBinding } from '@tidewatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { adminQuery, Api, startTestServer, tenantA } from './harness.ts';
import { freePort, ModbusPeer } from '../src/testing/modbus-peer.ts';

const ENV = {
  MODBUS_ALLOW_NETWORKS: '127.0.0.0/8',
  MODBUS_TICK_MS: '100',
  MODBUS_LEASE_MS: '3000',
  MODBUS_CONNECT_TIMEOUT_MS: '500',
  MODBUS_BACKOFF_BASE_MS: '200',
  MODBUS_BACKOFF_MAX_MS: '400',
  MODBUS_CIRCUIT_THRESHOLD: '3',
  MODBUS_CIRCUIT_COOLDOWN_MS: '1500',
  INGEST_DEVICE_CACHE_MS: '0',
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function stored(deviceId: string, metricKey: string): Promise<{ time: number; value: number }[]> {
  const rows = await adminQuery<{ time: Date; value: number }>(
    `SELECT t.time, t.value FROM telemetry t JOIN series s ON s.id = t.series_id JOIN metrics m ON m.id = s.metric_id
      WHERE s.device_id = $1 AND m.key = $2 ORDER BY t.time`,
    [deviceId, metricKey],
  );
  return rows.map((row) => ({ time: row.time.getTime(), value: row.value }));
}

/** The device's stored pressure readings, once there are exactly as many as the peer answered reads for. */
async function readsMatchRows(
  deviceId: string,
  reads: () => number,
): Promise<{ time: number; value: number }[]> {
  return waitFor(
    async () => {
      const rows = await stored(deviceId, 'pressure_bar');
      return rows.length === reads() ? rows : undefined;
    },
    'as many readings stored as read',
    3000,
  );
}

async function metricValue(api: Api, name: string, labels: string): Promise<number> {
  const text = (await api.request<string>('GET', '/metrics')).body;
  const prefix = labels === '' ? `${name} ` : `${name}{${labels}} `;
  const line = text.split('\n').find((l) => l.startsWith(prefix));
  return line ? Number(line.slice(prefix.length)) : 0;
}

/** Unit 1: the high word first. Unit 2: the low word first, one register byte-swapped, one missing (exception). */
function arrangeRegisters(peer: ModbusPeer): void {
  const one = peer.unit(1);
  one.holding.set(0, 0x4050).set(1, 0x0000); // float32 3.25
  one.input.set(10, 0x0001).set(11, 0xe240); // uint32 123456
  one.holding.set(20, 0xffce); // int16 -50
  one.holding.set(30, 100); // uint16, writable
  one.coils.set(5, 0); // writable coil
  const two = peer.unit(2);
  two.holding.set(0, 0x0000).set(1, 0x4050); // float32 3.25, low word first
  two.input.set(10, 0xfffe).set(11, 0xffff); // int32 -2, low word first
  two.holding.set(40, 0x3412); // uint16 0x1234 with its bytes swapped
}

function bindingOne(port: number): PutModbusBinding {
  return {
    host: '127.0.0.1',
    port,
    unitId: 1,
    pollIntervalMs: 1000,
    timeoutMs: 500,
    enabled: true,
    registers: [
      {
        metricKey: 'pressure_bar',
        function: 3,
        address: 0,
        type: 'float32',
        wordOrder: 'big',
        byteOrder: 'big',
        scale: 1,
        offset: 0,
        writable: false,
      },
      {
        metricKey: 'flow_lpm',
        function: 4,
        address: 10,
        type: 'uint32',
        wordOrder: 'big',
        byteOrder: 'big',
        scale: 0.1,
        offset: 0,
        writable: false,
      },
      {
        metricKey: 'temperature_c',
        function: 3,
        address: 20,
        type: 'int16',
        wordOrder: 'big',
        byteOrder: 'big',
        scale: 0.1,
        offset: 0,
        writable: false,
      },
      {
        metricKey: 'level_cm',
        function: 3,
        address: 30,
        type: 'uint16',
        wordOrder: 'big',
        byteOrder: 'big',
        scale: 1,
        offset: 0,
        writable: true,
      },
      {
        metricKey: 'pump_state',
        function: 1,
        address: 5,
        type: 'bool',
        wordOrder: 'big',
        byteOrder: 'big',
        scale: 1,
        offset: 0,
        writable: true,
      },
    ],
  };
}

function bindingTwo(port: number): PutModbusBinding {
  return {
    host: '127.0.0.1',
    port,
    unitId: 2,
    pollIntervalMs: 1000,
    timeoutMs: 500,
    enabled: true,
    registers: [
      {
        metricKey: 'pressure_bar',
        function: 3,
        address: 0,
        type: 'float32',
        wordOrder: 'little',
        byteOrder: 'big',
        scale: 1,
        offset: 0,
        writable: false,
      },
      {
        metricKey: 'flow_lpm',
        function: 4,
        address: 10,
        type: 'int32',
        wordOrder: 'little',
        byteOrder: 'big',
        scale: 1,
        offset: 100,
        writable: false,
      },
      {
        metricKey: 'tds_ppm',
        function: 3,
        address: 40,
        type: 'uint16',
        wordOrder: 'big',
        byteOrder: 'little',
        scale: 1,
        offset: 0,
        writable: false,
      },
      {
        metricKey: 'ph',
        function: 3,
        address: 99,
        type: 'uint16',
        wordOrder: 'big',
        byteOrder: 'big',
        scale: 1,
        offset: 0,
        writable: false,
      },
    ],
  };
}

describe('Modbus TCP connector', () => {
  let peer: ModbusPeer;
  let server: RunningServer;
  let api: Api;
  let admin: string;
  const created: string[] = [];

  async function modbusDevice(binding: PutModbusBinding): Promise<string> {
    const device = await api.request<{ device: { id: string }; secret: string | null }>(
      'POST',
      '/api/v1/devices',
      {
        token: admin,
        body: { name: `Modbus unit ${String(binding.unitId)}`, transport: 'modbus' },
      },
    );
    expect(device.status).toBe(201);
    expect(device.body.secret).toBeNull();
    const deviceId = device.body.device.id;
    created.push(deviceId);
    const saved = await api.request<ModbusBinding>('PUT', `/api/v1/devices/${deviceId}/modbus`, {
      token: admin,
      body: binding,
    });
    expect(saved.status).toBe(200);
    return deviceId;
  }

  async function state(deviceId: string): Promise<ModbusBinding['state']> {
    const response = await api.request<ModbusBinding>('GET', `/api/v1/devices/${deviceId}/modbus`, {
      token: admin,
    });
    expect(response.status).toBe(200);
    return response.body.state;
  }

  beforeAll(async () => {
    peer = await ModbusPeer.start();
    arrangeRegisters(peer);
    server = await startTestServer(ENV);
    api = new Api(server.url);
    admin = await api.tokenFor(tenantA.email('admin'));
  });
  afterAll(async () => {
    await server.close();
    await peer.close();
    for (const table of ['telemetry', 'telemetry_dirty', 'telemetry_1m', 'telemetry_1h']) {
      await adminQuery(
        `DELETE FROM ${table} WHERE series_id IN (SELECT id FROM series WHERE device_id = ANY($1::uuid[]))`,
        [created],
      );
    }
    await adminQuery('DELETE FROM device_commands WHERE device_id = ANY($1::uuid[])', [created]);
    await adminQuery('DELETE FROM devices WHERE id = ANY($1::uuid[])', [created]);
    await adminQuery(
      'DELETE FROM modbus_endpoints WHERE NOT EXISTS (SELECT FROM modbus_bindings b WHERE b.endpoint_id = modbus_endpoints.id)',
    );
  });

  let one: string;
  let two: string;

  it('previews the values a binding would store, without storing them', async () => {
    const device = await api.request<{ device: { id: string } }>('POST', '/api/v1/devices', {
      token: admin,
      body: { name: 'Modbus preview', transport: 'modbus' },
    });
    created.push(device.body.device.id);
    const preview = await api.request<{
      values: {
        metricKey: string;
        raw: number[] | null;
        mapped: number | null;
        stored: number | null;
        rejected: string | null;
      }[];
    }>('POST', `/api/v1/devices/${device.body.device.id}/modbus/preview`, {
      token: admin,
      body: bindingTwo(peer.port),
    });
    expect(preview.status).toBe(200);
    const byKey = new Map(preview.body.values.map((v) => [v.metricKey, v]));
    expect(byKey.get('pressure_bar')).toMatchObject({
      raw: [0, 0x4050],
      mapped: 3.25,
      stored: 3.25,
      rejected: null,
    });
    expect(byKey.get('flow_lpm')?.mapped).toBe(98);
    expect(byKey.get('tds_ppm')?.mapped).toBe(0x1234);
    expect(byKey.get('ph')).toMatchObject({ raw: null, rejected: 'exception' });
    expect(await stored(device.body.device.id, 'pressure_bar')).toEqual([]);
    const outside = await api.request('POST', `/api/v1/devices/${device.body.device.id}/modbus/preview`, {
      token: admin,
      body: { ...bindingTwo(peer.port), host: '10.1.2.3' },
    });
    expect(outside.status).toBe(409);
  });

  it('reads both word orders, float32 and byte-swapped registers, over one connection, each reading stored once', async () => {
    const exceptionsBefore = await metricValue(api, 'tidewatch_modbus_exceptions_total', 'code="2"');
    one = await modbusDevice(bindingOne(peer.port));
    two = await modbusDevice(bindingTwo(peer.port));
    await waitFor(
      async () => ((await stored(two, 'pressure_bar')).length >= 3 ? true : undefined),
      'three polls',
    );

    const last = async (device: string, key: string) => (await stored(device, key)).at(-1)?.value;
    expect(await last(one, 'pressure_bar')).toBe(3.25);
    expect(await last(one, 'flow_lpm')).toBeCloseTo(12345.6, 6);
    expect(await last(one, 'temperature_c')).toBeCloseTo(-5, 6);
    expect(await last(one, 'level_cm')).toBe(100);
    expect(await last(one, 'pump_state')).toBe(0);
    expect(await last(two, 'pressure_bar')).toBe(3.25);
    expect(await last(two, 'flow_lpm')).toBe(98);
    expect(await last(two, 'tds_ppm')).toBe(0x1234);
    // The register that answers with an exception is counted and reported; the others are stored all the same.
    expect(await stored(two, 'ph')).toEqual([]);
    expect(
      (await metricValue(api, 'tidewatch_modbus_exceptions_total', 'code="2"')) - exceptionsBefore,
    ).toBeGreaterThan(0);
    expect((await state(two)).lastError).toMatch(/ph/);
    expect(await state(one)).toMatchObject({ connected: true, circuit: 'closed', lastError: null });
    expect(peer.maxConnections).toBe(1);
  });

  it('stores each reading exactly once, across a restart of the poller', async () => {
    await server.close();
    server = await startTestServer(ENV);
    api = new Api(server.url);
    admin = await api.tokenFor(tenantA.email('admin'));
    const before = (await stored(one, 'pressure_bar')).length;
    await waitFor(
      async () => ((await stored(one, 'pressure_bar')).length >= before + 3 ? true : undefined),
      'polls after the restart',
    );
    // As many rows as reads of the device (once the poll in flight, if any, has stored what it read).
    const rows = await readsMatchRows(one, () => peer.readsOf(1, 3, 0));
    const times = rows.map((r) => r.time);
    expect(new Set(times).size).toBe(times.length);
    // Never two polls of one device at once, not even around the restart: polls follow the 1 s schedule (a read
    // may start late when it waited its turn on the shared connection, so the next one seems early).
    for (let i = 1; i < times.length; i += 1)
      expect((times[i] ?? 0) - (times[i - 1] ?? 0)).toBeGreaterThanOrEqual(500);
  });

  it('writes a command to a holding register and a coil, acknowledged by reading the value back', async () => {
    const send = (params: Record<string, unknown>) =>
      api.request<DeviceCommand>('POST', `/api/v1/devices/${one}/commands`, {
        token: admin,
        body: { command: 'write', params },
      });
    const level = await send({ metricKey: 'level_cm', value: 150 });
    const pump = await send({ metricKey: 'pump_state', value: 1 });
    expect(level.status).toBe(202);
    expect(pump.status).toBe(202);
    const settled = async (id: string) =>
      waitFor(async () => {
        const response = await api.request<DeviceCommand>('GET', `/api/v1/commands/${id}`, { token: admin });
        return response.body.state === 'acknowledged' || response.body.state === 'failed'
          ? response.body
          : undefined;
      }, 'the command to settle');
    expect(await settled(level.body.id)).toMatchObject({ state: 'acknowledged', result: { value: 150 } });
    expect(await settled(pump.body.id)).toMatchObject({ state: 'acknowledged', result: { value: 1 } });
    expect(peer.unit(1).holding.get(30)).toBe(150);
    expect(peer.unit(1).coils.get(5)).toBe(1);
    // Only a mapped, writable register can be written.
    expect((await send({ metricKey: 'pressure_bar', value: 1 })).status).toBe(400);
    expect((await send({ metricKey: 'nope', value: 1 })).status).toBe(400);
  });

  it('counts a slow endpoint’s timeouts and stores nothing from it', async () => {
    const slow = await ModbusPeer.start();
    slow.unit(1).holding.set(0, 0x4050).set(1, 0);
    slow.delayMs = 800;
    try {
      const before = await metricValue(api, 'tidewatch_modbus_requests_total', 'outcome="timeout"');
      const device = await modbusDevice({
        ...bindingOne(slow.port),
        timeoutMs: 300,
        registers: [...bindingOne(0).registers.slice(0, 1)],
      });
      await waitFor(
        async () =>
          (await metricValue(api, 'tidewatch_modbus_requests_total', 'outcome="timeout"')) > before
            ? true
            : undefined,
        'a timeout',
      );
      expect((await state(device)).lastError).toMatch(/no answer in time/);
      expect(await stored(device, 'pressure_bar')).toEqual([]);
    } finally {
      await slow.close();
    }
  });

  it('opens the circuit of a dead endpoint, backs off, and closes it when the endpoint answers again', async () => {
    const port = await freePort();
    const device = await modbusDevice({
      ...bindingOne(port),
      registers: [...bindingOne(0).registers.slice(0, 1)],
    });
    const open = await waitFor(async () => {
      const current = await state(device);
      return current.circuit === 'open' ? current : undefined;
    }, 'the circuit to open');
    expect(open.consecutiveFailures).toBeGreaterThanOrEqual(3);
    expect(open.connected).toBe(false);
    expect(open.lastError).toMatch(/cannot connect|no connection/);
    // The back-off counts from the failure, not from when this test looks (a loaded machine may look late).
    const [endpoint] = await adminQuery<{ backoff_ms: string }>(
      `SELECT extract(epoch FROM e.next_attempt_at - e.last_error_at) * 1000 AS backoff_ms
         FROM modbus_endpoints e JOIN modbus_bindings b ON b.endpoint_id = e.id WHERE b.device_id = $1`,
      [device],
    );
    expect(Number(endpoint?.backoff_ms ?? 0)).toBeGreaterThan(500);

    const revived = await ModbusPeer.start(port);
    arrangeRegisters(revived);
    try {
      await waitFor(
        async () => ((await stored(device, 'pressure_bar')).length > 0 ? true : undefined),
        'a reading',
      );
      expect(await state(device)).toMatchObject({
        circuit: 'closed',
        consecutiveFailures: 0,
        connected: true,
      });
    } finally {
      await revived.close();
    }
  });

  it('lets only one of two instances poll an endpoint at a time', async () => {
    const second = await startTestServer(ENV);
    try {
      const before = (await readsMatchRows(one, () => peer.readsOf(1, 3, 0))).length;
      await sleep(4000);
      const holders = await adminQuery<{ lease_holder: string | null }>(
        `SELECT DISTINCT e.lease_holder FROM modbus_endpoints e JOIN modbus_bindings b ON b.endpoint_id = e.id
          WHERE b.device_id = $1`,
        [one],
      );
      expect(holders).toHaveLength(1);
      const rows = await readsMatchRows(one, () => peer.readsOf(1, 3, 0));
      // One poll a second at most: two pollers would have doubled it.
      expect(rows.length - before).toBeLessThanOrEqual(5);
      expect(peer.maxConnections).toBe(1);
    } finally {
      await second.close();
    }
  });
});
