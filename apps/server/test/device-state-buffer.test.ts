import pg from 'pg';
import { afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { EventBus } from '../src/events/event-bus.ts';
import { createLogger } from '../src/logger.ts';
import { DeviceConnectivity } from '../src/modules/connectivity/device-connectivity.ts';
import { DeviceStateBuffer, deviceStateLagMs } from '../src/modules/connectivity/device-state-buffer.ts';
import { provisionDevices } from '../src/testing/provision-devices.ts';
import { adminQuery, tenantA, tenantB, tenantId } from './harness.ts';

const FLUSH_MS = 2000;
const OFFLINE_AFTER_MS = 1000;

/** One server instance's part of it: its own pool, bus, buffer and sweep, on the one database. */
interface Instance {
  readonly pool: pg.Pool;
  readonly bus: EventBus;
  readonly buffer: DeviceStateBuffer;
  readonly connectivity: DeviceConnectivity;
  readonly online: string[];
}

function instance(): Instance {
  const pool = new pg.Pool({ connectionString: inject('appUrl'), max: 3 });
  const bus = new EventBus();
  const log = createLogger('silent', false);
  const online: string[] = [];
  bus.on('device.connectivity', (event) => {
    if (event.connectivity === 'online') online.push(event.deviceId);
  });
  return {
    pool,
    bus,
    // No timer: each test flushes when it means to.
    buffer: new DeviceStateBuffer(pool, bus, log, { flushMs: FLUSH_MS, knownForMs: 60_000 }),
    connectivity: new DeviceConnectivity(pool, bus, log, OFFLINE_AFTER_MS, deviceStateLagMs(FLUSH_MS)),
    online,
  };
}

interface State {
  connectivity: string;
  last_seen_at: Date | null;
  last_reading_at: Date | null;
}

const stateOf = async (deviceId: string): Promise<State | undefined> =>
  (
    await adminQuery<State>(
      'SELECT connectivity::text, last_seen_at, last_reading_at FROM device_states WHERE device_id = $1',
      [deviceId],
    )
  )[0];

const openDowntimes = async (deviceId: string): Promise<number> => {
  const [row] = await adminQuery<{ count: string }>(
    'SELECT count(*) FROM device_downtimes WHERE device_id = $1 AND ended_at IS NULL',
    [deviceId],
  );
  return Number(row?.count);
};

describe('DeviceStateBuffer', () => {
  let a: Instance;
  let b: Instance;
  let tenants: { a: string; b: string };
  let devices: { a: string[]; b: string[] };

  beforeAll(async () => {
    tenants = { a: await tenantId(tenantA.slug), b: await tenantId(tenantB.slug) };
    const provision = async (slug: string) =>
      (
        await provisionDevices(inject('adminUrl'), {
          tenantSlug: slug,
          count: 4,
          metricKeys: [],
          secret: 'state-buffer-secret',
          label: 'state buffer',
        })
      ).map((d) => d.id);
    devices = { a: await provision(tenantA.slug), b: await provision(tenantB.slug) };
  });

  beforeEach(() => {
    a = instance();
    b = instance();
  });

  afterEach(async () => {
    await Promise.all([a.pool.end(), b.pool.end()]);
  });

  const heard = (tenant: string, deviceId: string, readingAt = Date.now()) => ({
    tenantId: tenant,
    deviceId,
    readingAt,
  });

  it('writes a device it does not know yet before answering, for each tenant under its own context', async () => {
    const [first] = devices.a;
    const [second] = devices.b;
    const readingAt = Date.now() - 60_000;

    await a.buffer.record([heard(tenants.a, first ?? ''), heard(tenants.b, second ?? '', readingAt)]);

    const [one, two] = [await stateOf(first ?? ''), await stateOf(second ?? '')];
    expect(one?.connectivity).toBe('online');
    expect(Math.abs((one?.last_seen_at?.getTime() ?? 0) - Date.now())).toBeLessThan(2000);
    expect(two?.last_reading_at?.getTime()).toBe(readingAt);
  });

  it('keeps a known device in memory until the next flush, never moving its times back', async () => {
    const device = devices.a[1] ?? '';
    await a.buffer.record([heard(tenants.a, device, Date.now() - 10_000)]);
    const before = await stateOf(device);

    const latest = Date.now() - 5000;
    await a.buffer.record([heard(tenants.a, device, latest)]);
    expect((await stateOf(device))?.last_reading_at).toEqual(before?.last_reading_at);
    // Heard by another instance with an older reading: last_reading_at stays the newest.
    await b.buffer.record([heard(tenants.a, device, latest - 60_000)]);
    await a.buffer.stop();

    const after = await stateOf(device);
    expect(after?.last_reading_at?.getTime()).toBe(latest);
    expect(after?.last_seen_at?.getTime()).toBeGreaterThanOrEqual(before?.last_seen_at?.getTime() ?? 0);
  });

  it('brings a device back online once when two instances hear it at the same time', async () => {
    const device = devices.a[2] ?? '';
    await a.buffer.record([heard(tenants.a, device)]);
    await b.connectivity.report(tenants.a, device, 'offline', 'status');
    expect(await openDowntimes(device)).toBe(1);
    // The status reached instance b; instance a learns it from its own bus only when it handles it.
    a.bus.emit('device.connectivity', {
      tenantId: tenants.a,
      deviceId: device,
      connectivity: 'offline',
      at: Date.now(),
    });
    await new Promise((resolve) => setTimeout(resolve, 20));

    await Promise.all([
      a.buffer.record([heard(tenants.a, device)]),
      b.buffer.record([heard(tenants.a, device)]),
    ]);

    expect((await stateOf(device))?.connectivity).toBe('online');
    expect(await openDowntimes(device)).toBe(0);
    expect([...a.online, ...b.online].filter((id) => id === device)).toEqual([device]);
  });

  it('does not let a reading heard before an offline status bring the device back', async () => {
    const device = devices.b[1] ?? '';
    await a.buffer.record([heard(tenants.b, device)]);
    const heardAt = Date.now();
    await a.buffer.record([heard(tenants.b, device)], heardAt);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await b.connectivity.report(tenants.b, device, 'offline', 'status');

    await a.buffer.flush();

    expect((await stateOf(device))?.connectivity).toBe('offline');
    expect(await openDowntimes(device)).toBe(1);
    expect(a.online).not.toContain(device);
    // Its next message is heard after the status: it is back at once, before it is answered.
    await a.buffer.record([heard(tenants.b, device)]);
    expect((await stateOf(device))?.connectivity).toBe('online');
    expect(a.online).toContain(device);
  });

  it('is not called silent by another instance’s sweep while the instance that heard it has not flushed yet', async () => {
    const device = devices.b[2] ?? '';
    await a.buffer.record([heard(tenants.b, device)]);
    // The database last saw it a little past the silence limit; instance a heard it since and holds that in memory.
    await adminQuery(
      `UPDATE device_states SET last_seen_at = now() - make_interval(secs => $2) WHERE device_id = $1`,
      [device, (OFFLINE_AFTER_MS + FLUSH_MS) / 1000],
    );
    await a.buffer.record([heard(tenants.b, device)], Date.now() - FLUSH_MS / 2);

    await b.connectivity.sweepSilent();
    expect((await stateOf(device))?.connectivity).toBe('online');
    // Judged without the lag, the sweep would have taken it offline.
    const [stale] = await adminQuery<{ silent: boolean }>(
      'SELECT last_seen_at < $2 AS silent FROM device_states WHERE device_id = $1',
      [device, new Date(Date.now() - OFFLINE_AFTER_MS)],
    );
    expect(stale?.silent).toBe(true);
    await a.buffer.flush();
    expect((await stateOf(device))?.last_seen_at?.getTime()).toBeGreaterThan(Date.now() - FLUSH_MS);

    // Silent past the limit and the lag: offline, with a downtime.
    await adminQuery(
      `UPDATE device_states SET last_seen_at = now() - make_interval(secs => $2) WHERE device_id = $1`,
      [device, (OFFLINE_AFTER_MS + deviceStateLagMs(FLUSH_MS)) / 1000 + 1],
    );
    await b.connectivity.sweepSilent();
    expect((await stateOf(device))?.connectivity).toBe('offline');
    expect(await openDowntimes(device)).toBe(1);

    // Instance a was not told (another instance's bus) and still counts it online: its next flush brings it
    // back, once.
    await a.buffer.record([heard(tenants.b, device)]);
    expect((await stateOf(device))?.connectivity).toBe('offline');
    await a.buffer.flush();
    expect((await stateOf(device))?.connectivity).toBe('online');
    expect(await openDowntimes(device)).toBe(0);
    expect(a.online.filter((id) => id === device)).toEqual([device]);
  });
});
