import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { inject } from 'vitest';
import { DeviceDirectory } from '../src/modules/ingest/device-directory.ts';
import { adminQuery } from './harness.ts';

describe('device directory', () => {
  let pool: pg.Pool;
  let deviceId: string;

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: inject('appUrl'), max: 4 });
    const [device] = await adminQuery<{ id: string }>('SELECT id FROM devices ORDER BY id LIMIT 1');
    deviceId = device?.id ?? '';
  });
  afterAll(async () => {
    await pool.end();
  });

  it('loads a busy device once for all the messages that arrive while its entry is loading', async () => {
    const directory = new DeviceDirectory(pool, 60_000);
    const query = vi.spyOn(pool, 'query');
    const devices = await Promise.all(Array.from({ length: 200 }, () => directory.get(deviceId)));
    expect(query).toHaveBeenCalledTimes(1);
    expect(new Set(devices.map((device) => device?.id))).toEqual(new Set([deviceId]));
    query.mockRestore();
  });

  it('reads the devices asked for at once with one query, and knows the ones that do not exist', async () => {
    const ids = (await adminQuery<{ id: string }>('SELECT id FROM devices ORDER BY id LIMIT 20')).map(
      (d) => d.id,
    );
    const stranger = '00000000-0000-4000-8000-000000000000';
    const directory = new DeviceDirectory(pool, 60_000);
    const query = vi.spyOn(pool, 'query');
    const devices = await Promise.all([...ids, stranger].map((id) => directory.get(id)));
    expect(query).toHaveBeenCalledTimes(1);
    expect(devices.map((device) => device?.id ?? null)).toEqual([...ids, null]);
    query.mockRestore();
  });

  it('does not cache what a lookup read before an invalidation, and loads again after it', async () => {
    const directory = new DeviceDirectory(pool, 60_000);
    const query = vi.spyOn(pool, 'query');
    const before = directory.get(deviceId);
    // Its query is on its way when the device changes.
    await new Promise((resolve) => setImmediate(resolve));
    directory.invalidate(deviceId);
    const after = directory.get(deviceId);
    await Promise.all([before, after]);
    expect(query).toHaveBeenCalledTimes(2);
    // The second lookup's answer is cached: nothing more is read.
    await directory.get(deviceId);
    expect(query).toHaveBeenCalledTimes(2);
    query.mockRestore();
  });
});
