import { spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { applyMigrations } from '@tidewatch/db';
import {
  createTestDatabase,
  DEFAULT_DEMO_DEVICE_SECRET,
  seedDemo,
  type TestDatabase,
} from '@tidewatch/db/testing';
import type { NotificationPayload } from '@tidewatch/shared';
import { jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { keyId } from '../src/modules/secrets/key-encryption-key.ts';
import { startServer, type RunningServer } from '../src/server.ts';
import { adminQuery as adminQueryAt } from '../src/testing/admin-query.ts';
import { FakeThingSpeak, fixtureEntries } from './fake-thingspeak.ts';
import { Api, tenantA, tenantB } from './harness.ts';

/** This migration and later ones are what the test upgrades to; the database starts as an older release left it. */
const SECRETS_MIGRATION = '20261204000300';
const LEGACY = {
  webhookSecret: 'legacy-webhook-secret-4f1e9a7c2b',
  puneWebhookSecret: 'legacy-pune-secret-9d8e7f6a5b',
  readKey: 'LEGACYREADKEY123',
};
const CHANNEL = 2_417_893;
const MIGRATIONS_DIR = path.resolve(import.meta.dirname, '../../../packages/db/prisma/migrations');

const keyBytes = async (file: string) => Buffer.from((await readFile(file, 'utf8')).trim(), 'base64');

interface Call {
  readonly signature: string;
  readonly body: string;
}

function signedWith(call: Call, secret: string): boolean {
  const [t, v1] = call.signature.replace('t=', '').split(',v1=');
  return (
    createHmac('sha256', secret)
      .update(`${t ?? ''}.${call.body}`)
      .digest('hex') === v1
  );
}

/** Runs `npm run secrets:rotate` (its script, without npm around it) and answers its exit code and output. */
function rotate(
  env: Record<string, string>,
  args: string[] = [],
): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/rotate-secrets.ts', ...args], {
    cwd: path.resolve(import.meta.dirname, '..'),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve) => {
    child.on('close', (code) => {
      resolve({ code, out });
    });
  });
}

describe('secrets at rest', () => {
  let db: TestDatabase;
  let dir: string;
  let keyA: string;
  let keyB: string;
  let fake: FakeThingSpeak;
  let receiver: Server;
  let receiverUrl: string;
  const calls: Call[] = [];
  let legacySigningKey: Buffer;
  let tenant: { hyderabad: string; pune: string };
  let ids: { rule: string; puneRule: string; bindingDevice: string; device: string; series: number };
  let server: RunningServer | undefined;
  let setpoint = -1000;

  const adminQuery = <T extends Record<string, unknown>>(sql: string, params: unknown[] = []) =>
    adminQueryAt<T>(db.adminUrl, sql, params);

  function start(keyFile: string): Promise<RunningServer> {
    const config = loadConfig({
      NODE_ENV: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      MQTT_PORT: '0',
      DATABASE_URL: db.appUrl,
      TIDEWATCH_SECRET_KEY_FILE: keyFile,
      NOTIFY_WEBHOOK_ALLOW_NETWORKS: '127.0.0.0/8',
      NOTIFY_MAX_ATTEMPTS: '1',
      THINGSPEAK_ENABLED: 'true',
      THINGSPEAK_URL: fake.url,
      THINGSPEAK_TICK_MS: '600000',
      ALERT_JOB_INTERVAL_MS: '3600000',
      ALERT_RULE_CACHE_MS: '0',
      INGEST_DEVICE_CACHE_MS: '0',
    });
    return startServer(config, createLogger('silent', false));
  }

  /** Everything the tables that hold secrets store, as text, for grepping. */
  async function storedText(): Promise<string> {
    const rows = await adminQuery<{ text: string }>(
      `SELECT row_to_json(t)::text AS text FROM notification_rules t
       UNION ALL SELECT row_to_json(t)::text FROM thingspeak_bindings t
       UNION ALL SELECT row_to_json(t)::text FROM platform_secrets t
       UNION ALL SELECT row_to_json(t)::text FROM secret_data_keys t
       UNION ALL SELECT row_to_json(t)::text FROM notification_outbox t`,
    );
    return rows.map((row) => row.text).join('\n');
  }

  /** Signs in to the running server; the token must verify with the key the older release made. */
  async function signIn(running: RunningServer, email: string): Promise<string> {
    const { accessToken } = await new Api(running.url).login(email);
    await jwtVerify(accessToken, legacySigningKey);
    return accessToken;
  }

  /** The fake ThingSpeak's record of the key the server sent for a preview of the seeded channel. */
  async function previewReadKey(running: RunningServer): Promise<string | null> {
    const before = fake.requestsFor(CHANNEL).length;
    const answer = await new Api(running.url).request(
      'POST',
      `/api/v1/devices/${ids.bindingDevice}/thingspeak/preview`,
      {
        token: await signIn(running, tenantB.email('admin')),
        body: { channelId: CHANNEL, fields: [{ field: 1, metricKey: 'level_cm', scale: 1, offset: 0 }] },
      },
    );
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return fake.requestsFor(CHANNEL)[before]?.query.get('api_key') ?? null;
  }

  /** Raises a critical alert on a seeded device of Hyderabad and runs the jobs until its notifications are sent. */
  async function raiseAndNotify(running: RunningServer): Promise<string> {
    const api = new Api(running.url);
    setpoint -= 10;
    const rule = await api.request<{ id: string }>('POST', '/api/v1/alert-rules', {
      token: await signIn(running, tenantB.email('supervisor')),
      body: {
        name: `Secrets ${String(setpoint)}`,
        condition: 'high',
        priority: 'critical',
        scope: 'series',
        seriesId: ids.series,
        setpoint,
      },
    });
    expect(rule.status, JSON.stringify(rule.body)).toBe(201);
    const ingest = await api.request('POST', '/api/v1/ingest', {
      headers: {
        authorization: `Basic ${Buffer.from(`${ids.device}:${DEFAULT_DEMO_DEVICE_SECRET}`).toString('base64')}`,
      },
      body: { values: { level_cm: 50 } },
    });
    expect(ingest.status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await running.alerts?.drained();
    const [alert] = await adminQuery<{ id: string }>('SELECT id FROM alerts WHERE rule_id = $1', [
      rule.body.id,
    ]);
    for (let i = 0; i < 40; i += 1) {
      await running.alerts?.runJobs();
      const [open] = await adminQuery<{ n: string }>(
        `SELECT count(*) AS n FROM notification_outbox WHERE alert_id = $1 AND state IN ('pending', 'sending')`,
        [alert?.id],
      );
      if (Number(open?.n) === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return alert?.id ?? '';
  }

  const callsFor = (alertId: string) =>
    calls.filter((call) => (JSON.parse(call.body) as NotificationPayload).alert.id === alertId);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tidewatch-secrets-'));
    keyA = path.join(dir, 'a.key');
    keyB = path.join(dir, 'b.key');
    await writeFile(keyA, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    await writeFile(keyB, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    fake = await FakeThingSpeak.start();
    fake.setFeed(CHANNEL, fixtureEntries(Date.now()));
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        calls.push({ signature: String(req.headers['x-tidewatch-signature']), body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${String((receiver.address() as AddressInfo).port)}/hook`;

    // The database as the release before this one left it: its migrations, demo data, secrets in plaintext.
    db = await createTestDatabase();
    const older = path.join(dir, 'migrations');
    for (const name of (await readdir(MIGRATIONS_DIR)).filter(
      (n) => /^\d{14}_/.test(n) && n < SECRETS_MIGRATION,
    ))
      await cp(path.join(MIGRATIONS_DIR, name), path.join(older, name), { recursive: true });
    await applyMigrations(db.adminUrl, { dir: older });
    await seedDemo({ adminUrl: db.adminUrl });
    const [h, p] = await Promise.all(
      [tenantB.slug, tenantA.slug].map(
        async (slug) =>
          (await adminQuery<{ id: string }>('SELECT id FROM tenants WHERE slug = $1', [slug]))[0]?.id ?? '',
      ),
    );
    tenant = { hyderabad: h ?? '', pune: p ?? '' };
    legacySigningKey =
      (await adminQuery<{ key: Buffer }>('SELECT auth_signing_key() AS key'))[0]?.key ?? Buffer.alloc(0);
    const webhookRule = async (tenantId: string, email: string, secret: string) =>
      (
        await adminQuery<{ id: string }>(
          `INSERT INTO notification_rules (tenant_id, user_id, channel, target, webhook_secret, min_priority)
           SELECT $1, id, 'webhook', $3, $4, 'critical' FROM users WHERE email = $2 RETURNING id`,
          [tenantId, email, receiverUrl, secret],
        )
      )[0]?.id ?? '';
    const [binding] = await adminQuery<{ device_id: string }>(
      'UPDATE thingspeak_bindings SET read_api_key = $2 WHERE tenant_id = $1 RETURNING device_id',
      [tenant.hyderabad, LEGACY.readKey],
    );
    const [device] = await adminQuery<{ id: string; series: number }>(
      `SELECT d.id, s.id AS series FROM devices d JOIN series s ON s.device_id = d.id JOIN metrics m ON m.id = s.metric_id
        WHERE d.tenant_id = $1 AND d.transport <> 'thingspeak' AND d.disabled_at IS NULL AND m.key = 'level_cm'
        ORDER BY d.id LIMIT 1`,
      [tenant.hyderabad],
    );
    ids = {
      rule: await webhookRule(tenant.hyderabad, tenantB.email('admin'), LEGACY.webhookSecret),
      puneRule: await webhookRule(tenant.pune, tenantA.email('admin'), LEGACY.puneWebhookSecret),
      bindingDevice: binding?.device_id ?? '',
      device: device?.id ?? '',
      series: device?.series ?? 0,
    };
    // The upgrade.
    await applyMigrations(db.adminUrl);
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await fake.close();
    await new Promise((resolve) => receiver.close(resolve));
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('seals at start what an older release stored in plaintext, stores new secrets sealed, and keeps using them', async () => {
    server = await start(keyA);
    const created = await new Api(server.url).request<{ webhookSecret: string }>(
      'POST',
      '/api/v1/notification-rules',
      {
        token: await signIn(server, tenantB.email('admin')),
        body: {
          channel: 'webhook',
          target: 'https://93.184.216.34/hook',
          minPriority: 'critical',
          enabled: false,
        },
      },
    );

    const stored = await storedText();
    const plaintexts = [
      LEGACY.webhookSecret,
      LEGACY.puneWebhookSecret,
      LEGACY.readKey,
      created.body.webhookSecret,
      legacySigningKey.toString('hex'),
      legacySigningKey.toString('base64'),
    ];
    expect(plaintexts.filter((secret) => stored.includes(secret))).toEqual([]);
    const [row] = await adminQuery<{ webhook: string; key: string; value: Buffer | null; sealed: string }>(
      `SELECT (SELECT webhook_secret FROM notification_rules WHERE id = $1) AS webhook,
              (SELECT read_api_key FROM thingspeak_bindings WHERE device_id = $2) AS key,
              value, sealed FROM platform_secrets WHERE name = 'access_token_key'`,
      [ids.rule, ids.bindingDevice],
    );
    expect([row?.webhook.slice(0, 4), row?.key.slice(0, 4), row?.value, row?.sealed.slice(0, 4)]).toEqual([
      'tw1.',
      'tw1.',
      null,
      'tw1.',
    ]);
    // The same secrets as before the upgrade: the key signs tokens, ThingSpeak gets the key, the receiver checks.
    expect(await previewReadKey(server)).toBe(LEGACY.readKey);
    const alert = await raiseAndNotify(server);
    expect(callsFor(alert).length).toBeGreaterThan(0);
    expect(callsFor(alert).every((call) => signedWith(call, LEGACY.webhookSecret))).toBe(true);
    await server.close();
    server = undefined;
  });

  it('refuses to start, saying why, with another key, a malformed key file, or none in production', async () => {
    const garbage = path.join(dir, 'garbage.key');
    await writeFile(garbage, 'not a key\n');

    await expect(start(keyB)).rejects.toThrow(/another key-encryption key.*TIDEWATCH_SECRET_KEY_FILE/s);
    await expect(start(garbage)).rejects.toThrow(/does not hold 32 bytes in base64/);
    expect(() => loadConfig({ NODE_ENV: 'production', DATABASE_URL: db.appUrl })).toThrow(
      /TIDEWATCH_SECRET_KEY_FILE must be set when NODE_ENV=production/,
    );
  });

  it('rotates to a new key-encryption key and data key, resumably; every secret still opens, the old key opens nothing', async () => {
    const [before] = await adminQuery<{ sealed: string }>(
      'SELECT webhook_secret AS sealed FROM notification_rules WHERE id = $1',
      [ids.rule],
    );
    const env = { DATABASE_ADMIN_URL: db.adminUrl, TIDEWATCH_SECRET_KEY_FILE: keyA };

    const first = await rotate(env, ['--new-key-file', keyB, '--new-data-key']);
    const again = await rotate(env, ['--new-key-file', keyB]);
    // A row the first run had not reached when it was interrupted: still under the old data key.
    await adminQuery('UPDATE notification_rules SET webhook_secret = $2 WHERE id = $1', [
      ids.rule,
      before?.sealed,
    ]);
    const resumed = await rotate({ ...env, TIDEWATCH_SECRET_KEY_FILE: keyB });

    expect(first.code, first.out).toBe(0);
    expect(first.out).toMatch(/1 data keys wrapped anew/);
    expect(again.out).toMatch(/0 data keys wrapped anew[\s\S]*sealed again under the active data key: 0/);
    expect(resumed.out).toMatch(/sealed again under the active data key: 1/);
    const keys = await adminQuery<{ id: string; kek_id: string; active: boolean }>(
      'SELECT id, kek_id, active FROM secret_data_keys',
    );
    const active = keys.find((k) => k.active)?.id ?? '';
    expect(keys.map((k) => k.kek_id)).toEqual([keyId(await keyBytes(keyB)), keyId(await keyBytes(keyB))]);
    const sealed = await adminQuery<{ value: string }>(
      `SELECT webhook_secret AS value FROM notification_rules WHERE webhook_secret IS NOT NULL
       UNION ALL SELECT read_api_key FROM thingspeak_bindings WHERE read_api_key IS NOT NULL
       UNION ALL SELECT sealed FROM platform_secrets`,
    );
    expect(sealed.filter((row) => !row.value.startsWith(`tw1.${active}.`))).toEqual([]);

    await expect(start(keyA)).rejects.toThrow(/another key-encryption key/);
    server = await start(keyB);
    expect(await previewReadKey(server)).toBe(LEGACY.readKey);
    const alert = await raiseAndNotify(server);
    expect(callsFor(alert).length).toBeGreaterThan(0);
    expect(callsFor(alert).every((call) => signedWith(call, LEGACY.webhookSecret))).toBe(true);
  });

  it('does not open a sealed secret copied into another tenant’s row', async () => {
    const running = server as RunningServer;
    await adminQuery(
      'UPDATE notification_rules SET webhook_secret = (SELECT webhook_secret FROM notification_rules WHERE id = $2) WHERE id = $1',
      [ids.rule, ids.puneRule],
    );

    const alert = await raiseAndNotify(running);

    const [delivery] = await adminQuery<{ state: string; attempts: number; last_error: string }>(
      'SELECT state, attempts, last_error FROM notification_outbox WHERE alert_id = $1 AND rule_id = $2',
      [alert, ids.rule],
    );
    expect(delivery).toEqual({
      state: 'failed',
      attempts: 1,
      last_error: 'the rule’s signing secret cannot be read',
    });
    expect(callsFor(alert)).toEqual([]);
  });
});
