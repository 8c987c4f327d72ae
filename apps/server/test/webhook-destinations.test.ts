import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type RequestListener } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { NotificationDelivery, NotificationRule, Problem } from '@tidewatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendWebhook } from '../src/modules/alert-engine/webhook-sender.ts';
import { checkDestination } from '../src/modules/outbound/destination-guard.ts';
import { parseNetwork } from '../src/modules/outbound/ip-address.ts';
import { webhookSecretContext } from '../src/modules/secrets/stored-secrets.ts';
import { freePort } from '../src/testing/ports.ts';
import { AlertTestKit, type TestDevice } from './alert-fixtures.ts';
import { adminQuery, tenantA } from './harness.ts';
import { HostileDns } from './hostile-dns.ts';

/** The operator's allowed network in these tests: 127.0.0.2 only, so 127.0.0.1 stands for the rest of the host. */
const ALLOWED = '127.0.0.2';

interface Receiver {
  readonly server: Server;
  readonly url: string;
  /** TCP connections accepted, whatever came of them. */
  connections: number;
  close(): Promise<void>;
}

async function listen(server: Server, host: string): Promise<Receiver> {
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const sockets = new Set<Socket>();
  const receiver: Receiver = {
    server,
    url: `http://${host}:${String((server.address() as AddressInfo).port)}/hook`,
    connections: 0,
    close: () =>
      new Promise((resolve) => {
        server.close(() => {
          resolve();
        });
        for (const socket of sockets) socket.destroy();
      }),
  };
  server.on('connection', (socket: Socket) => {
    receiver.connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return receiver;
}

const httpReceiver = (host: string, handler: RequestListener) => listen(createHttpServer(handler), host);
const tcpReceiver = (host: string, onSocket: (socket: Socket) => void) =>
  listen(createTcpServer(onSocket), host);

describe('webhook destinations', () => {
  let kit: AlertTestKit;
  let device: TestDevice;
  let setpoint = 1000;

  const admin = () => kit.token('admin');

  async function createWebhook(target: string, role = 'admin') {
    return kit.api.request<{ rule: NotificationRule; webhookSecret: string } & Problem>(
      'POST',
      '/api/v1/notification-rules',
      { token: await kit.token(role), body: { channel: 'webhook', target, minPriority: 'critical' } },
    );
  }

  /** Raises one critical alert (every enabled webhook rule of the admin gets it) and runs the jobs until sent. */
  async function raiseAndDeliver(): Promise<NotificationDelivery[]> {
    setpoint += 10;
    const rule = await kit.rule({
      condition: 'high',
      seriesId: device.series.level_cm ?? 0,
      setpoint,
      priority: 'critical',
    });
    await kit.send(device, 'level_cm', [[1, setpoint + 5]]);
    const alert = await kit.only(rule);
    for (let i = 0; i < 100; i += 1) {
      await kit.jobs();
      const [open] = await adminQuery<{ n: string }>(
        `SELECT count(*) AS n FROM notification_outbox WHERE alert_id = $1 AND state IN ('pending', 'sending')`,
        [alert.id],
      );
      if (Number(open?.n) === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const answer = await kit.api.request<NotificationDelivery[]>(
      'GET',
      `/api/v1/notification-deliveries?alertId=${alert.id}`,
      { token: await admin() },
    );
    return answer.body;
  }

  async function removeRules(ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      await kit.api.request('DELETE', `/api/v1/notification-rules/${id}`, { token: await admin() });
    }
  }

  beforeAll(async () => {
    kit = await AlertTestKit.start(tenantA, {
      NOTIFY_WEBHOOK_ALLOW_NETWORKS: `${ALLOWED}/32`,
      NOTIFY_MAX_ATTEMPTS: '1',
      NOTIFY_TIMEOUT_MS: '1500',
    });
    device = await kit.device(['level_cm']);
  });
  afterAll(async () => {
    await kit.close();
  });

  it('lets only a tenant administrator create or change a webhook; anyone may use e-mail', async () => {
    const refused = await Promise.all(
      ['viewer', 'operator', 'maintenance', 'supervisor'].map((role) =>
        createWebhook('https://93.184.216.34/hook', role),
      ),
    );
    const email = await kit.api.request('POST', '/api/v1/notification-rules', {
      token: await kit.token('viewer'),
      body: { channel: 'email', target: 'viewer-pager@example.org' },
    });
    const created = await createWebhook('https://93.184.216.34/hook');
    // A webhook rule a supervisor made before this right existed: theirs to delete, no longer to change.
    const [supervisor] = await adminQuery<{ id: string; tenant_id: string }>(
      'SELECT id, tenant_id FROM users WHERE email = $1',
      [tenantA.email('supervisor')],
    );
    const legacyId = randomUUID();
    const [legacy] = await adminQuery<{ id: string }>(
      `INSERT INTO notification_rules (id, tenant_id, user_id, channel, target, webhook_secret, enabled)
       VALUES ($1, $2, $3, 'webhook', 'https://93.184.216.34/legacy', $4, false) RETURNING id`,
      [
        legacyId,
        supervisor?.tenant_id,
        supervisor?.id,
        kit.server.secrets.seal('legacy', webhookSecretContext(supervisor?.tenant_id ?? '', legacyId)),
      ],
    );
    const supervisorToken = await kit.token('supervisor');
    const legacyChange = await kit.api.request<Problem>(
      'PATCH',
      `/api/v1/notification-rules/${legacy?.id ?? ''}`,
      {
        token: supervisorToken,
        body: { enabled: true },
      },
    );
    const legacyDelete = await kit.api.request('DELETE', `/api/v1/notification-rules/${legacy?.id ?? ''}`, {
      token: supervisorToken,
    });
    const change = await kit.api.request<NotificationRule>(
      'PATCH',
      `/api/v1/notification-rules/${created.body.rule.id}`,
      { token: await admin(), body: { enabled: false, minPriority: 'high' } },
    );

    expect(refused.map((answer) => [answer.status, answer.body.type])).toEqual(
      Array(4).fill([403, 'urn:tidewatch:problem:forbidden']),
    );
    expect(email.status).toBe(201);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(legacyChange.status).toBe(403);
    expect(legacyDelete.status).toBe(204);
    expect(change.status).toBe(200);
    expect(change.body).toMatchObject({ enabled: false, minPriority: 'high' });
    const audit = await adminQuery<{ details: { changes: unknown } }>(
      `SELECT details FROM audit_log WHERE action = 'notification_rule.update' AND resource_id = $1`,
      [created.body.rule.id],
    );
    expect(audit.map((entry) => entry.details.changes)).toEqual([{ enabled: false, minPriority: 'high' }]);
    await removeRules([created.body.rule.id]);
  });

  it('refuses, when saved, a destination on the server’s own network in any spelling, and plain http', async () => {
    const closedPort = await freePort();
    const targets = [
      'http://169.254.169.254/latest/meta-data/',
      'https://169.254.169.254/latest/meta-data/',
      `http://127.0.0.1:${String(closedPort)}/hook`,
      'http://[::ffff:127.0.0.1]/hook',
      'https://[::ffff:7f00:1]/hook',
      'https://[::1]/hook',
      'https://[fd00::1]/hook',
      'https://[fe80::1]/hook',
      'https://[64:ff9b::a9fe:a9fe]/hook',
      'https://[2002:a00:1::1]/hook',
      'http://10.0.0.1/hook',
      'https://172.16.0.10/hook',
      'https://192.168.1.20/hook',
      'https://100.64.0.1/hook',
      'https://0.0.0.0/hook',
      'https://255.255.255.255/hook',
      'https://224.0.0.251/hook',
      'https://2130706433/hook',
      'https://0x7f.1/hook',
      'https://localhost/hook',
      'https://LOCALHOST./hook',
      // Public, but not over https.
      'http://93.184.216.34/hook',
    ];
    const answers = await Promise.all(targets.map((target) => createWebhook(target)));
    const allowed = await createWebhook(`http://${ALLOWED}:${String(closedPort)}/hook`);

    expect(
      answers
        .map((answer, i) => ({
          target: targets[i],
          status: answer.status,
          type: answer.body.type,
          path: answer.body.errors?.[0]?.path,
          json: answer.headers.get('content-type'),
        }))
        .filter(
          (a) =>
            a.status !== 400 || a.type !== 'urn:tidewatch:problem:validation_failed' || a.path !== 'target',
        ),
    ).toEqual([]);
    expect(answers[0]?.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(allowed.status).toBe(201);
    const stored = await adminQuery<{ target: string }>(
      'SELECT target FROM notification_rules WHERE target = ANY($1)',
      [targets],
    );
    expect(stored).toEqual([]);
    await removeRules([allowed.body.rule.id]);
  });

  it('delivers to an allowed network and never buffers a body the receiver does not stop sending', async () => {
    const endless = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('endless-receiver.ts', import.meta.url)), ALLOWED],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const lines = createInterface({ input: endless.stdout })[Symbol.asyncIterator]();
    const next = async () => JSON.parse(String((await lines.next()).value)) as Record<string, number>;
    try {
      const { port } = await next();
      const rule = await createWebhook(`http://${ALLOWED}:${String(port)}/hook`);
      expect(rule.status, JSON.stringify(rule.body)).toBe(201);

      const baseline = process.memoryUsage().rss;
      let peak = baseline;
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 5);
      const deliveries = await raiseAndDeliver();
      const { written = 0, closedAfterMs = 0 } = await next();
      clearInterval(sampler);
      peak = Math.max(peak, process.memoryUsage().rss);

      const growthMiB = (peak - baseline) / 1024 / 1024;
      console.log(
        `endless body: the receiver wrote ${(written / 1024 / 1024).toFixed(1)} MiB before the connection closed after ${String(closedAfterMs)} ms; server RSS +${growthMiB.toFixed(1)} MiB`,
      );
      expect(deliveries.map((d) => [d.ruleId, d.state, d.lastError])).toEqual([
        [rule.body.rule.id, 'delivered', null],
      ]);
      expect(closedAfterMs).toBeLessThan(1000);
      expect(growthMiB).toBeLessThan(32);
      await removeRules([rule.body.rule.id]);
    } finally {
      endless.kill();
    }
  });

  it('connects to nothing refused, even for a rule stored before the check, and tells users only generic errors', async () => {
    const outside = await httpReceiver('127.0.0.1', (_req, res) => res.writeHead(204).end());
    const redirected = await httpReceiver(ALLOWED, (_req, res) => res.writeHead(204).end());
    const redirecting = await httpReceiver(ALLOWED, (_req, res) =>
      res.writeHead(302, { location: redirected.url }).end(),
    );
    const failing = await httpReceiver(ALLOWED, (_req, res) =>
      res.writeHead(500).end('stack trace of 10.1.2.3'),
    );
    const silent = await tcpReceiver(ALLOWED, () => undefined);
    const endlessHeaders = await tcpReceiver(ALLOWED, (socket) => {
      socket.on('error', () => undefined);
      socket.write('HTTP/1.1 200 OK\r\n');
      const line = `X-Padding: ${'a'.repeat(1000)}\r\n`;
      const pump = (): void => {
        while (!socket.destroyed && socket.write(line));
        if (!socket.destroyed) socket.once('drain', pump);
      };
      pump();
    });
    const plain = await httpReceiver(ALLOWED, (_req, res) => res.writeHead(204).end());
    const closedPort = await freePort();

    const cases: [string, string][] = [
      [failing.url, 'HTTP 500'],
      [redirecting.url, 'HTTP 302 (redirects are not followed)'],
      [`http://${ALLOWED}:${String(closedPort)}/hook`, 'connection failed'],
      [silent.url, 'timeout'],
      [endlessHeaders.url, 'invalid response'],
      [plain.url.replace('http:', 'https:'), 'TLS failure'],
    ];
    const ids: string[] = [];
    for (const [target] of cases) {
      const created = await createWebhook(target);
      expect(created.status, `${target}: ${JSON.stringify(created.body)}`).toBe(201);
      ids.push(created.body.rule.id);
    }
    // Rules stored before the check existed (or written behind the API): the call itself checks again.
    const behindTheApi: [string, string][] = [
      [outside.url, 'destination refused'],
      ['http://169.254.169.254/latest/meta-data/', 'destination refused'],
      ['https://hooks.tidewatch-test.invalid/hook', 'destination not found'],
    ];
    for (const [target] of behindTheApi) {
      const created = await createWebhook(redirected.url);
      await adminQuery('UPDATE notification_rules SET target = $2 WHERE id = $1', [
        created.body.rule.id,
        target,
      ]);
      ids.push(created.body.rule.id);
    }

    const deliveries = await raiseAndDeliver();

    const byRule = new Map(deliveries.map((d) => [d.ruleId, d]));
    const expected = [...cases, ...behindTheApi];
    expect(ids.map((id, i) => [expected[i]?.[0], byRule.get(id)?.state, byRule.get(id)?.lastError])).toEqual(
      expected.map(([target, error]) => [target, 'failed', error]),
    );
    expect(outside.connections).toBe(0);
    expect(redirected.connections).toBe(0);
    await removeRules(ids);
    await Promise.all(
      [outside, redirected, redirecting, failing, silent, endlessHeaders, plain].map((r) => r.close()),
    );
  });
});

describe('a name that resolves elsewhere between the check and the call (DNS rebinding)', () => {
  let dns: HostileDns;

  beforeAll(async () => {
    dns = await HostileDns.start({
      'hooks.rebind.test': [['93.184.216.34'], ['127.0.0.1']],
      'pinned.rebind.test': [[ALLOWED], ['127.0.0.1']],
      'mixed.rebind.test': [['93.184.216.34', '10.0.0.7']],
    });
  });
  afterAll(async () => {
    await dns.close();
  });

  it('checks again when calling, and connects only to the address it checked', async () => {
    const inside = await httpReceiver('127.0.0.1', (_req, res) => res.writeHead(204).end());
    const allowed = await httpReceiver(ALLOWED, (_req, res) => res.writeHead(204).end());
    const resolve = dns.resolver();
    const policy = { allowNetworks: [parseNetwork(`${ALLOWED}/32`)] };
    const port = (url: string) => new URL(url).port;
    const call = (host: string, receiverUrl: string) =>
      sendWebhook(
        { url: `http://${host}:${port(receiverUrl)}/hook`, body: '{}', secret: 's', deliveryId: '1' },
        { policy, timeoutMs: 2000, resolve },
      );

    // Saved while it pointed at a public address; by the call it points at the host itself.
    await expect(
      checkDestination(new URL(`https://hooks.rebind.test:${port(inside.url)}/hook`), policy, resolve),
    ).resolves.toEqual([{ address: '93.184.216.34', family: 4 }]);
    await expect(call('hooks.rebind.test', inside.url)).rejects.toThrow('destination refused');
    // A public address beside a private one is refused as a whole.
    await expect(
      checkDestination(new URL('https://mixed.rebind.test/hook'), policy, resolve),
    ).rejects.toThrow(/private, local or reserved/);
    // Resolved once, to the allowed address; the connection does not ask DNS again (which would say 127.0.0.1).
    const before = dns.queries.filter((name) => name === 'pinned.rebind.test').length;
    await call('pinned.rebind.test', allowed.url);

    expect(inside.connections).toBe(0);
    expect(allowed.connections).toBe(1);
    expect(dns.queries.filter((name) => name === 'pinned.rebind.test').length - before).toBe(1);
    await inside.close();
    await allowed.close();
  });
});
