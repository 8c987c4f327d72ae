import type { Alert, AlertRule, CreateAlertRule, IngestResult } from '@tidewatch/shared';
import { expect } from 'vitest';
import type { DomainEvents } from '../src/events/event-bus.ts';
import type { RunningServer } from '../src/server.ts';
import { adminQuery, Api, startTestServer } from './harness.ts';

/** A test device with its series, provisioned through the API. */
export interface TestDevice {
  readonly id: string;
  readonly secret: string;
  readonly series: Readonly<Record<string, number>>;
}

/**
 * A server for alert tests: jobs run only when a test calls `jobs()`, so every step is deterministic; readings go
 * in through POST /api/v1/ingest, the real ingest path.
 */
export class AlertTestKit {
  readonly events: DomainEvents['alert.changed'][] = [];
  readonly floods: DomainEvents['alert.flood'][] = [];
  /** Instants already sent per device and metric: a reading at a taken instant is a duplicate and is not stored. */
  private readonly sentAt = new Map<string, Set<number>>();

  private constructor(
    readonly server: RunningServer,
    readonly api: Api,
    readonly tenant: { readonly slug: string; email(local: string): string },
  ) {
    server.bus.on('alert.changed', (event) => this.events.push(event));
    server.bus.on('alert.flood', (event) => this.floods.push(event));
  }

  static async start(
    tenant: { readonly slug: string; email(local: string): string },
    env: Record<string, string> = {},
  ): Promise<AlertTestKit> {
    const server = await startTestServer({
      INGEST_DEVICE_CACHE_MS: '0',
      ALERT_JOB_INTERVAL_MS: '3600000',
      ALERT_RULE_CACHE_MS: '3600000',
      ...env,
    });
    return new AlertTestKit(server, new Api(server.url), tenant);
  }

  token(role: string): Promise<string> {
    return this.api.tokenFor(this.tenant.email(role));
  }

  async device(metricKeys: string[], assetId: string | null = null): Promise<TestDevice> {
    const created = await this.api.request<{
      device: { id: string; series: { id: number; metricKey: string }[] };
      secret: string;
    }>('POST', '/api/v1/devices', {
      token: await this.token('admin'),
      body: { name: `Alert test node ${String(Date.now())}`, metricKeys, assetId },
    });
    expect(created.status).toBe(201);
    return {
      id: created.body.device.id,
      secret: created.body.secret,
      series: Object.fromEntries(created.body.device.series.map((s) => [s.metricKey, s.id])),
    };
  }

  async rule(fields: Partial<CreateAlertRule> & Pick<CreateAlertRule, 'condition'>): Promise<AlertRule> {
    const response = await this.api.request<AlertRule>('POST', '/api/v1/alert-rules', {
      token: await this.token('supervisor'),
      body: { name: `Test ${fields.condition}`, priority: 'high', scope: 'series', ...fields },
    });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    return response.body;
  }

  /**
   * Posts readings (`[secondsAgo, value]`) of one metric and waits until the engine has evaluated them. An instant
   * this kit already sent for the series moves on by a millisecond: one test's "a second ago" can fall on the
   * previous test's "now" to the millisecond, and the server skips that reading as a re-sent duplicate.
   */
  async send(
    device: TestDevice,
    metric: string,
    readings: readonly (readonly [number, number])[],
  ): Promise<void> {
    const now = Date.now();
    const taken = this.instantsSent(device, metric);
    await this.sendAt(
      device,
      metric,
      readings.map(([ago, value]) => {
        let at = now - ago * 1000;
        while (taken.has(at)) at += 1;
        taken.add(at);
        return [at, value] as const;
      }),
    );
  }

  /** Sends readings stamped with exact instants (milliseconds since the epoch), for tests that compare times. */
  async sendAt(
    device: TestDevice,
    metric: string,
    readings: readonly (readonly [number, number])[],
  ): Promise<void> {
    const taken = this.instantsSent(device, metric);
    for (const [at] of readings) taken.add(at);
    const response = await this.api.request<IngestResult>('POST', '/api/v1/ingest', {
      headers: {
        authorization: `Basic ${Buffer.from(`${device.id}:${device.secret}`).toString('base64')}`,
      },
      body: readings.map(([ts, value]) => ({ ts, values: { [metric]: value } })),
    });
    expect(response.status, JSON.stringify(response.body)).toBe(202);
    expect(response.body.accepted).toBe(readings.length);
    await this.evaluated();
  }

  private instantsSent(device: TestDevice, metric: string): Set<number> {
    const key = `${device.id}/${metric}`;
    const taken = this.sentAt.get(key) ?? new Set<number>();
    this.sentAt.set(key, taken);
    return taken;
  }

  /** Waits for the engine to finish what the bus handed it. */
  async evaluated(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 20));
    await this.server.alerts?.drained();
  }

  async jobs(): Promise<void> {
    await this.server.alerts?.runJobs();
  }

  /** Every alert of a rule, oldest first, as the API shows them. */
  async alertsOf(rule: AlertRule): Promise<Alert[]> {
    const rows = await adminQuery<{ id: string }>(
      'SELECT id FROM alerts WHERE rule_id = $1 ORDER BY raised_at, id',
      [rule.id],
    );
    const token = await this.token('supervisor');
    return Promise.all(
      rows.map(
        async (row) => (await this.api.request<Alert>('GET', `/api/v1/alerts/${row.id}`, { token })).body,
      ),
    );
  }

  async only(rule: AlertRule): Promise<Alert> {
    const alerts = await this.alertsOf(rule);
    expect(alerts).toHaveLength(1);
    return alerts[0] as Alert;
  }

  async transitions(alertId: string): Promise<{ from: string | null; to: string; comment: string | null }[]> {
    return adminQuery<{ from: string | null; to: string; comment: string | null }>(
      'SELECT from_state AS "from", to_state AS "to", comment FROM alert_transitions WHERE alert_id = $1 ORDER BY sequence',
      [alertId],
    );
  }

  /** Calls an alert action as a demo user. */
  action<T = Alert>(role: string, path: string, body: unknown = {}) {
    return this.token(role).then((token) =>
      this.api.request<T>('POST', `/api/v1/alerts/${path}`, { token, body }),
    );
  }

  close(): Promise<void> {
    return this.server.close();
  }
}
