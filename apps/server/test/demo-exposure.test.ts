import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from '@tidewatch/db/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { isLoopbackHost } from '../src/operations/demo-exposure.ts';
import { adminQuery as adminQueryAt } from '../src/testing/admin-query.ts';
import { startServer, type RunningServer } from '../src/server.ts';
import { startTestServer } from './harness.ts';

/** The machine's first non-loopback IPv4 address, as a device or browser on the LAN reaches it. */
const lan = Object.values(networkInterfaces())
  .flat()
  .find((entry) => entry?.family === 'IPv4' && !entry.internal)?.address;

/** Whether a TCP connection to the address opens. */
function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      resolve(false);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

function portOf(server: RunningServer): number {
  const address = server.server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

const everywhere = { HOST: '0.0.0.0', MQTT_HOST: '0.0.0.0' };

describe('the published demo credentials stay on this machine', () => {
  it('tells loopback addresses from the rest', () => {
    expect(['127.0.0.1', '127.8.9.10', '::1', 'localhost'].map(isLoopbackHost)).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(['0.0.0.0', '::', '192.168.1.20', 'tidewatch.example'].map(isLoopbackHost)).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });

  it('counts the seeded demo accounts and devices through the application role', async () => {
    const client = new pg.Client({ connectionString: inject('appUrl') });
    await client.connect();
    try {
      const { rows } = await client.query<{ count: number }>('SELECT demo_credentials_in_use() AS count');
      expect(rows[0]?.count).toBeGreaterThan(200);
      // The hashes themselves are the owner's: the application role only gets the count.
      await expect(client.query('SELECT * FROM demo_credentials')).rejects.toThrow(/permission denied/);
    } finally {
      await client.end();
    }
  });

  it('listens on 127.0.0.1 only, HTTP and MQTT, while the demo credentials work', async () => {
    const server = await startTestServer(everywhere);
    try {
      expect(server.hosts).toEqual({ http: '127.0.0.1', mqtt: '127.0.0.1' });
      expect(server.server.address()).toMatchObject({ address: '127.0.0.1' });
      expect((await fetch(`${server.url}/health/live`)).status).toBe(200);
      if (lan) {
        expect(await reachable(lan, portOf(server))).toBe(false);
        expect(await reachable(lan, server.mqttPort ?? 0)).toBe(false);
      }
    } finally {
      await server.close();
    }
  });

  it('listens where configured with DEMO_EXPOSE=true', async () => {
    const server = await startTestServer({ ...everywhere, DEMO_EXPOSE: 'true' });
    try {
      expect(server.hosts).toEqual({ http: '0.0.0.0', mqtt: '0.0.0.0' });
      if (lan) {
        expect(await reachable(lan, portOf(server))).toBe(true);
        expect(await reachable(lan, server.mqttPort ?? 0)).toBe(true);
      }
    } finally {
      await server.close();
    }
  });
});

describe('an install without the demo', () => {
  let database: TestDatabase;
  const adminQuery = <T extends pg.QueryResultRow>(sql: string, params: unknown[] = []) =>
    adminQueryAt<T>(database.adminUrl, sql, params);
  const inUse = async () =>
    (await adminQuery<{ count: number }>('SELECT demo_credentials_in_use() AS count'))[0]?.count;

  beforeAll(async () => {
    database = await createTestDatabase({ migrate: true });
  });
  afterAll(async () => {
    await database.drop();
  });

  it('refuses to seed the demo under NODE_ENV=production, and seeds nothing', async () => {
    const root = path.resolve(import.meta.dirname, '../../..');
    const failure = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', path.join(root, 'packages/db/scripts/seed.ts')],
      { env: { ...process.env, NODE_ENV: 'production', DATABASE_ADMIN_URL: database.adminUrl } },
    ).then(
      () => null,
      (error: unknown) => error as { code: number; stderr: string },
    );

    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toMatch(/Refusing to seed the demo tenants under NODE_ENV=production/);
    expect(await adminQuery('SELECT 1 FROM tenants UNION ALL SELECT 1 FROM users')).toEqual([]);
  });

  it('listens where configured once no enabled account or device holds a demo credential', async () => {
    const server = await startServer(
      loadConfig({
        ...everywhere,
        PORT: '0',
        MQTT_PORT: '0',
        DATABASE_URL: database.appUrl,
        TIDEWATCH_ADMIN_EMAIL: 'root@utility.example',
        TIDEWATCH_ADMIN_PASSWORD: 'a long first-start password',
      }),
      createLogger('silent', false),
    );
    await server.close();

    expect(server.hosts).toEqual({ http: '0.0.0.0', mqtt: '0.0.0.0' });
  });

  it('counts only enabled users and devices that still hold a demo credential', async () => {
    const [tenant] = await adminQuery<{ id: string }>(
      `INSERT INTO tenants (slug, name) VALUES ('demo-count', 'Demo count') RETURNING id`,
    );
    await adminQuery(
      `INSERT INTO demo_credentials (credential_hash, kind) VALUES ('demo-password-hash', 'password'),
         ('demo-device-hash', 'device_secret'), ('$7$demo-broker-hash', 'broker_password')`,
    );
    const [user] = await adminQuery<{ id: string }>(
      `INSERT INTO users (tenant_id, email, display_name, role, password_hash)
       VALUES ($1, 'operator@demo-count.example', 'Operator', 'operator', 'demo-password-hash') RETURNING id`,
      [tenant?.id],
    );
    const [device] = await adminQuery<{ id: string }>(
      `INSERT INTO devices (tenant_id, name, transport, credential_hash, broker_password_hash)
       VALUES ($1, 'Logger', 'mqtt', 'demo-device-hash', '$7$demo-broker-hash') RETURNING id`,
      [tenant?.id],
    );
    const counts = [await inUse()];

    await adminQuery(`UPDATE users SET password_hash = 'a-hash-of-their-own' WHERE id = $1`, [user?.id]);
    counts.push(await inUse());
    // A rotated secret replaces both hashes; one left behind still lets the device in somewhere.
    await adminQuery(`UPDATE devices SET credential_hash = 'rotated' WHERE id = $1`, [device?.id]);
    counts.push(await inUse());
    await adminQuery(`UPDATE devices SET disabled_at = now() WHERE id = $1`, [device?.id]);
    counts.push(await inUse());
    await adminQuery(`UPDATE devices SET disabled_at = NULL WHERE id = $1`, [device?.id]);
    await adminQuery(`UPDATE tenants SET disabled_at = now() WHERE id = $1`, [tenant?.id]);
    counts.push(await inUse());

    expect(counts).toEqual([2, 1, 1, 0, 0]);
  });
});
