import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NotificationDelivery, NotificationPayload, Problem } from '@tidewatch/shared';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertTestKit, type TestDevice } from './alert-fixtures.ts';
import { adminQuery, tenantB } from './harness.ts';

interface Call {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A webhook receiver answering with `status`, recording each call. */
async function receiver(status: number): Promise<{ server: Server; url: string; calls: Call[] }> {
  const calls: Call[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      calls.push({ headers: req.headers, body });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${String(port)}/hook`, calls };
}

function verify(call: Call, secret: string): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(call.headers['x-tidewatch-signature']));
  if (!match) return false;
  const expected = createHmac('sha256', secret)
    .update(`${match[1] ?? ''}.${call.body}`)
    .digest('hex');
  return expected === match[2];
}

describe('notifications', () => {
  let kit: AlertTestKit;
  let smtp: SMTPServer;
  let smtpPort: number;
  const mails: { to: string; text: string }[] = [];
  let device: TestDevice;
  let setpoint = 0;

  const deliveries = async (role: string) =>
    (
      await kit.api.request<NotificationDelivery[]>('GET', '/api/v1/notification-deliveries', {
        token: await kit.token(role),
      })
    ).body;

  async function subscribe(
    role: string,
    body: Record<string, unknown>,
  ): Promise<{ id: string; secret: string }> {
    const created = await kit.api.request<{ rule: { id: string }; webhookSecret: string | null }>(
      'POST',
      '/api/v1/notification-rules',
      { token: await kit.token(role), body },
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return { id: created.body.rule.id, secret: created.body.webhookSecret ?? '' };
  }

  async function raise(priority: 'critical' | 'high' | 'low', extra: Record<string, unknown> = {}) {
    setpoint += 10;
    const rule = await kit.rule({
      condition: 'high',
      seriesId: device.series.level_cm ?? 0,
      setpoint,
      priority,
      ...extra,
    });
    await kit.send(device, 'level_cm', [[1, setpoint + 5]]);
    return kit.only(rule);
  }

  /** Runs the jobs until the outbox has nothing due soon for the alert, or gives up. */
  async function deliverAll(alertId: string): Promise<void> {
    for (let i = 0; i < 40; i += 1) {
      await kit.jobs();
      const [open] = await adminQuery<{ n: string }>(
        `SELECT count(*) AS n FROM notification_outbox WHERE alert_id = $1 AND state IN ('pending', 'sending')`,
        [alertId],
      );
      if (Number(open?.n) === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 60));
    }
  }

  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      logger: false,
      onData(stream, session, callback) {
        let text = '';
        stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
        stream.on('end', () => {
          mails.push({ to: session.envelope.rcptTo.map((r) => r.address).join(','), text });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    smtpPort = (smtp.server.address() as AddressInfo).port;
    kit = await AlertTestKit.start(tenantB, {
      NOTIFY_MAX_ATTEMPTS: '3',
      NOTIFY_RETRY_BASE_MS: '50',
      NOTIFY_TIMEOUT_MS: '2000',
      SMTP_URL: `smtp://127.0.0.1:${String(smtpPort)}`,
      // The receivers listen on loopback, which webhooks may reach only when the operator allows it.
      NOTIFY_WEBHOOK_ALLOW_NETWORKS: '127.0.0.0/8',
    });
    device = await kit.device(['level_cm']);
  });
  afterAll(async () => {
    await kit.close();
    await new Promise<void>((resolve) => {
      smtp.close(() => {
        resolve();
      });
    });
  });

  it('delivers a signed webhook for an alert at or above the rule’s minimum priority', async () => {
    const hook = await receiver(204);
    const { secret } = await subscribe('admin', {
      channel: 'webhook',
      target: hook.url,
      minPriority: 'high',
    });

    const low = await raise('low');
    const high = await raise('high');
    await deliverAll(high.id);
    await deliverAll(low.id);

    expect(hook.calls).toHaveLength(1);
    const call = hook.calls[0] as Call;
    expect(verify(call, secret)).toBe(true);
    const payload = JSON.parse(call.body) as NotificationPayload;
    expect(payload.event).toBe('alert.raised');
    expect(payload.alert.id).toBe(high.id);
    const mine = await deliveries('admin');
    expect(mine.find((d) => d.alertId === high.id)?.state).toBe('delivered');
    expect(mine.some((d) => d.alertId === low.id)).toBe(false);
    hook.server.close();
  });

  it('retries a failing webhook with the same delivery id, then marks it failed', async () => {
    const hook = await receiver(500);
    const { id } = await subscribe('admin', {
      channel: 'webhook',
      target: hook.url,
      minPriority: 'critical',
    });

    const alert = await raise('critical');
    await deliverAll(alert.id);

    expect(hook.calls).toHaveLength(3);
    expect(new Set(hook.calls.map((c) => c.headers['x-tidewatch-delivery'])).size).toBe(1);
    const delivery = (await deliveries('admin')).find((d) => d.alertId === alert.id && d.ruleId === id);
    expect(delivery?.state).toBe('failed');
    expect(delivery?.attempts).toBe(3);
    expect(delivery?.lastError).toContain('HTTP 500');
    hook.server.close();
  });

  it('sends e-mail over SMTP, and tells supervisors of an escalation whatever their minimum priority', async () => {
    await subscribe('supervisor', {
      channel: 'email',
      target: 'duty-supervisor@example.org',
      minPriority: 'critical',
    });

    const alert = await raise('high', { escalateAfterS: 60 });
    await deliverAll(alert.id);
    expect(mails.some((m) => m.to === 'duty-supervisor@example.org')).toBe(false);
    await adminQuery(`UPDATE alerts SET raised_at = now() - interval '5 minutes' WHERE id = $1`, [alert.id]);
    await deliverAll(alert.id);
    await kit.jobs();

    const mail = mails.find((m) => m.to === 'duty-supervisor@example.org');
    expect(mail?.text).toContain('[ESCALATED]');
    expect(mail?.text).toContain(alert.id);
    const delivery = (await deliveries('supervisor')).find((d) => d.alertId === alert.id);
    expect(delivery).toMatchObject({ channel: 'email', event: 'alert.escalated', state: 'delivered' });
  });

  it('validates rules and keeps them personal', async () => {
    const bad = await kit.api.request<Problem>('POST', '/api/v1/notification-rules', {
      token: await kit.token('operator'),
      body: { channel: 'webhook', target: 'ftp://example.org/x' },
    });
    const mine = await subscribe('operator', { channel: 'email', target: 'ops@example.org' });
    const othersDelete = await kit.api.request<Problem>('DELETE', `/api/v1/notification-rules/${mine.id}`, {
      token: await kit.token('supervisor'),
    });

    expect(bad.status).toBe(400);
    expect(othersDelete.status).toBe(404);
  });
});
