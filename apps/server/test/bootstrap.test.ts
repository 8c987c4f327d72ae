import { createTestDatabase, type TestDatabase } from '@tidewatch/db/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { StartRefused } from '../src/modules/auth/bootstrap-admin.ts';
import { createLogger } from '../src/logger.ts';
import { startServer } from '../src/server.ts';
import { Api } from './harness.ts';

describe('first start on an empty database', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase({ migrate: true });
  });
  afterAll(async () => {
    await database.drop();
  });

  const start = (password: string) =>
    startServer(
      loadConfig({
        PORT: '0',
        HOST: '127.0.0.1',
        MQTT_PORT: '0',
        DATABASE_URL: database.appUrl,
        TIDEWATCH_ADMIN_EMAIL: 'root@utility.example',
        TIDEWATCH_ADMIN_PASSWORD: password,
      }),
      createLogger('silent', false),
    );

  it('refuses to start without the first administrator, saying which variables to set', async () => {
    const refused = startServer(
      loadConfig({ PORT: '0', HOST: '127.0.0.1', MQTT_PORT: '0', DATABASE_URL: database.appUrl }),
      createLogger('silent', false),
    );

    await expect(refused).rejects.toThrow(StartRefused);
    await expect(refused).rejects.toThrow(
      /no accounts yet\. Set TIDEWATCH_ADMIN_EMAIL and TIDEWATCH_ADMIN_PASSWORD/,
    );
  });

  it('refuses to start with a common password for the first super_admin, and creates nothing', async () => {
    await expect(start('Password2024!')).rejects.toThrow(
      /TIDEWATCH_ADMIN_PASSWORD is one of the most common/,
    );
    const client = new pg.Client({ connectionString: database.adminUrl });
    await client.connect();
    const { rows } = await client.query(`SELECT count(*)::int AS n FROM users`);
    await client.end();
    expect(rows[0]).toEqual({ n: 0 });
  });

  it('creates the first super_admin from the environment, once, and never resets it', async () => {
    const first = await start('first-start-password');
    const api = new Api(first.url);
    const login = await api.login('root@utility.example', 'first-start-password');
    await first.close();

    const second = await start('another-password-entirely');
    const again = await new Api(second.url).request('POST', '/api/v1/auth/login', {
      body: { email: 'root@utility.example', password: 'another-password-entirely' },
    });
    await second.close();

    expect(login.user.role).toBe('super_admin');
    // The password lives on in deployment files: it is temporary, and the first sign-in asks for a new one.
    expect(login.user.pendingStep).toBe('password_change');
    expect(again.status).toBe(401);
  });

  it('creates the telemetry partitions for the week ahead', async () => {
    const client = new pg.Client({ connectionString: database.adminUrl });
    await client.connect();
    const ahead = new Date(Date.now() + 6 * 86_400_000).toISOString().slice(0, 10).replaceAll('-', '');
    const { rows } = await client.query('SELECT to_regclass($1) AS partition', [`telemetry_p${ahead}`]);
    await client.end();

    expect(rows[0]).toEqual({ partition: `telemetry_p${ahead}` });
  });
});
