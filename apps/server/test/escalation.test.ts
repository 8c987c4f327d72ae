import type { AlertEscalation, EscalationPolicy, OnCallScheduleView } from '@tidewatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { AlertTestKit } from './alert-fixtures.ts';
import { adminQuery, startTestServer, tenantA } from './harness.ts';
import { SmsGatewayStandIn } from '../src/testing/sms-gateway-stand-in.ts';

async function until<T>(
  what: string,
  probe: () => T | null | Promise<T | null>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('escalation over SMS, on two instances', () => {
  const gateway = new SmsGatewayStandIn();
  let kit: AlertTestKit;
  let second: RunningServer;
  const policies: string[] = [];

  beforeAll(async () => {
    const url = await gateway.start();
    const env = {
      SMS_GATEWAY_URL: `${url}/2010-04-01/Accounts/AC123/Messages.json`,
      SMS_GATEWAY_FORMAT: 'twilio',
      SMS_GATEWAY_USERNAME: 'AC123',
      SMS_GATEWAY_PASSWORD: 'auth-token',
      SMS_FROM: '+15005550006',
      ESCALATION_TICK_MS: '100',
      SMS_RETRY_BASE_MS: '50',
    };
    kit = await AlertTestKit.start(tenantA, env);
    second = await startTestServer({ ...env, ALERT_JOB_INTERVAL_MS: '3600000' });
  });
  afterAll(async () => {
    // Later tests raise alerts in this tenant: the policies made here must not escalate them.
    if (policies.length > 0)
      await adminQuery('UPDATE escalation_policies SET enabled = false WHERE id = ANY($1::uuid[])', [
        policies,
      ]);
    await second.close();
    await kit.close();
    await gateway.stop();
  });

  it('sends each step once across both instances, retries a failed send, repeats, and stops on acknowledgement', async () => {
    const admin = await kit.token('admin');
    const supervisor = await kit.token('supervisor');
    const users = await adminQuery<{ id: string; email: string }>(
      `SELECT id::text, email FROM users WHERE email = ANY($1)`,
      [[tenantA.email('operator'), tenantA.email('operator2')]],
    );
    const operator = users.find((u) => u.email === tenantA.email('operator'))?.id ?? '';
    const operator2 = users.find((u) => u.email === tenantA.email('operator2'))?.id ?? '';
    for (const [id, phone] of [
      [operator, '+919800000001'],
      [operator2, '+919800000002'],
    ] as const) {
      const set = await kit.api.request('PUT', `/api/v1/users/${id}/phone`, {
        token: admin,
        body: { phone },
      });
      expect(set.status, JSON.stringify(set.body)).toBe(200);
    }
    // The operator is on call around the clock (a shift from midnight to midnight), in the tenant's time zone.
    const schedule = await kit.api.request<OnCallScheduleView>('POST', '/api/v1/on-call-schedules', {
      token: supervisor,
      body: {
        name: `Control room ${String(Date.now())}`,
        timeZone: 'Asia/Kolkata',
        shifts: [{ userId: operator, weekdays: [1, 2, 3, 4, 5, 6, 7], starts: '00:00', ends: '00:00' }],
      },
    });
    expect(schedule.status, JSON.stringify(schedule.body)).toBe(201);
    const policy = await kit.api.request<EscalationPolicy>('POST', '/api/v1/escalation-policies', {
      token: supervisor,
      body: {
        name: 'Critical and high: on call, then the second operator',
        minPriority: 'high',
        repeats: 3,
        steps: [
          { scheduleId: schedule.body.id, waitS: 1 },
          { userId: operator2, waitS: 1 },
        ],
      },
    });
    expect(policy.status, JSON.stringify(policy.body)).toBe(201);
    policies.push(policy.body.id);
    // The first send fails: the message is retried and delivered once.
    gateway.failNext.push(503);

    const device = await kit.device(['level_cm']);
    const rule = await kit.rule({
      condition: 'high',
      setpoint: 100,
      seriesId: device.series.level_cm ?? null,
    });
    await kit.send(device, 'level_cm', [[0, 150]]);
    const alert = await kit.only(rule);

    // Step 1 to whoever is on call, step 2 to the second operator, then the steps again.
    await until('three messages', () => (gateway.received.length >= 3 ? true : null));
    const ack = await kit.action('operator', `${alert.id}/acknowledge`, { comment: 'on my way' });
    expect(ack.status).toBe(200);
    const countAtAck = gateway.received.length;
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(gateway.received.length).toBe(countAtAck);

    const sent = gateway.received.map((sms) => `${String(sms.fields.To)} ${String(sms.fields.Body)}`);
    expect(gateway.received[0]?.fields).toMatchObject({ To: '+919800000001', From: '+15005550006' });
    expect(String(gateway.received[0]?.fields.Body)).toContain(rule.name);
    expect(gateway.received[0]?.authorization).toBe(
      `Basic ${Buffer.from('AC123:auth-token').toString('base64')}`,
    );
    expect(gateway.received[1]?.fields.To).toBe('+919800000002');
    expect(gateway.received[2]?.fields.To).toBe('+919800000001');
    expect(sent.length).toBeGreaterThanOrEqual(3);

    const escalation = await kit.api.request<AlertEscalation>(
      'GET',
      `/api/v1/alerts/${alert.id}/escalation`,
      {
        token: supervisor,
      },
    );
    expect(escalation.status).toBe(200);
    expect(escalation.body.stoppedAt).not.toBeNull();
    expect(escalation.body.stopReason).toBe('active_acknowledged');
    // Exactly one message per step and cycle, whichever instance ran it, each delivered to the gateway once.
    const keys = escalation.body.messages.map((m) => `${String(m.cycle)}/${String(m.position)}`);
    expect(new Set(keys).size).toBe(keys.length);
    const delivered = escalation.body.messages.filter((m) => m.state === 'delivered');
    expect(delivered).toHaveLength(gateway.received.length);
    expect(delivered[0]).toMatchObject({ attempts: 2, providerId: 'SM000001' });
    expect(escalation.body.messages.every((m) => m.state === 'delivered' || m.state === 'cancelled')).toBe(
      true,
    );
  });
});
