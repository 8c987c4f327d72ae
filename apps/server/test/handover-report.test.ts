import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { HandoverReport, StoredReport } from '@tidewatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { Mailbox } from './account-fixtures.ts';
import { adminQuery, Api, startTestServer, tenantA } from './harness.ts';

const run = promisify(execFile);

/** The PDF's text as pdftotext (poppler) reads it, whitespace folded so wrapped lines read as one. */
async function pdfText(pdf: Buffer): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'handover-'));
  try {
    const file = path.join(dir, 'handover.pdf');
    await writeFile(file, pdf);
    const { stdout } = await run('pdftotext', ['-enc', 'UTF-8', file, '-']);
    return stdout.replace(/\s+/g, ' ');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('the shift handover report', () => {
  let server: RunningServer;
  let api: Api;

  beforeAll(async () => {
    server = await startTestServer();
    api = new Api(server.url);
  });
  afterAll(async () => {
    await server.close();
  });

  it('as a PDF holds every open alarm set aside with who and why, and the open incidents, as the database has them', async () => {
    const token = await api.tokenFor(tenantA.email('supervisor'));
    const response = await fetch(
      `${server.url}/api/v1/reports/handover.pdf?hours=12&notes=Pump%203%20noisy`,
      {
        headers: { authorization: `Bearer ${token}` },
      },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/pdf');
    const pdf = Buffer.from(await response.arrayBuffer());
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    const text = await pdfText(pdf);

    const [tenant] = await adminQuery<{ id: string; name: string }>(
      'SELECT id, name FROM tenants WHERE slug = $1',
      [tenantA.slug],
    );
    expect(text).toContain(`Shift handover: ${tenant?.name ?? ''}`);
    expect(text).toContain('Pump 3 noisy');

    const counts = await adminQuery<{ kind: string; n: number }>(
      `SELECT CASE state WHEN 'shelved' THEN 'Shelved alarms' WHEN 'out_of_service' THEN 'Out of service'
                         ELSE 'Standing alarms' END AS kind, count(*)::int AS n
         FROM alerts WHERE tenant_id = $1 AND closed_at IS NULL AND state <> 'suppressed' GROUP BY 1`,
      [tenant?.id],
    );
    for (const kind of ['Standing alarms', 'Shelved alarms', 'Out of service']) {
      const n = counts.find((c) => c.kind === kind)?.n ?? 0;
      expect(text).toContain(`${kind} (${String(n)})`);
    }
    const shelved = await adminQuery<{ rule: string; reason: string; who: string }>(
      `SELECT r.name AS rule, a.shelve_reason AS reason, u.display_name AS who
         FROM alerts a JOIN alert_rules r ON r.id = a.rule_id JOIN users u ON u.id = a.shelved_by
        WHERE a.tenant_id = $1 AND a.closed_at IS NULL AND a.state = 'shelved'`,
      [tenant?.id],
    );
    expect(shelved.length).toBeGreaterThan(0);
    for (const line of shelved) {
      expect(text).toContain(`Shelved by ${line.who}`);
      expect(text).toContain(line.reason);
    }
    const incidents = await adminQuery<{ number: number; title: string }>(
      `SELECT number, title FROM incidents WHERE tenant_id = $1 AND status <> 'closed'`,
      [tenant?.id],
    );
    expect(text).toContain(`Open incidents (${String(incidents.length)})`);
    for (const incident of incidents)
      expect(text).toContain(`INC-${String(incident.number)} ${incident.title}`);
  });

  it('on screen as JSON, limited to the zones of a zone operator', async () => {
    const all = await api.request<HandoverReport>('GET', '/api/v1/reports/handover', {
      token: await api.tokenFor(tenantA.email('supervisor')),
    });
    const zoned = await api.request<HandoverReport>('GET', '/api/v1/reports/handover', {
      token: await api.tokenFor(tenantA.email('zone-operator')),
    });
    expect(all.status).toBe(200);
    expect(zoned.status).toBe(200);
    expect(zoned.body.standing.length).toBeLessThanOrEqual(all.body.standing.length);
    expect(all.body.standing.length + all.body.shelved.length).toBeGreaterThan(0);
  });

  it('refuses a bad shift length with a problem', async () => {
    const response = await api.request('GET', '/api/v1/reports/handover?hours=500', {
      token: await api.tokenFor(tenantA.email('supervisor')),
    });
    expect(response.status).toBe(400);
  });
});

describe('handovers kept, and the daily operations report', () => {
  let server: RunningServer;
  let api: Api;

  beforeAll(async () => {
    server = await startTestServer();
    api = new Api(server.url);
  });
  afterAll(async () => {
    await server.close();
  });

  it('names the tenant’s users for the console, and only its own', async () => {
    const names = await api.request<{ id: string; displayName: string }[]>('GET', '/api/v1/user-names', {
      token: await api.tokenFor(tenantA.email('viewer')),
    });
    expect(names.status).toBe(200);
    const own = await adminQuery<{ id: string; display_name: string }>(
      'SELECT u.id::text, u.display_name FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE t.slug = $1',
      [tenantA.slug],
    );
    expect(names.body.map((n) => n.id).sort()).toEqual(own.map((u) => u.id).sort());
  });

  it('gives the lists as CSV, one row per alarm and incident', async () => {
    const token = await api.tokenFor(tenantA.email('supervisor'));
    const json = await api.request<HandoverReport>('GET', '/api/v1/reports/handover', { token });
    const response = await fetch(`${server.url}/api/v1/reports/handover.csv`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.headers.get('content-type')).toContain('text/csv');
    const lines = (await response.text()).trimEnd().split('\r\n');
    expect(lines[0]).toBe('section,priority,state,alarm,asset,zone,raised_at,who,why,until');
    const body = json.body;
    expect(lines).toHaveLength(
      1 + body.standing.length + body.shelved.length + body.outOfService.length + body.incidents.length,
    );
    expect(lines.filter((line) => line.startsWith('shelved,'))).toHaveLength(body.shelved.length);
  });

  it('keeps a handover, which the incoming operator acknowledges once, and not its author', async () => {
    const outgoing = await api.tokenFor(tenantA.email('operator'));
    const incoming = await api.tokenFor(tenantA.email('operator2'));
    const made = await api.request<StoredReport>('POST', '/api/v1/reports/handover', {
      token: outgoing,
      body: { hours: 8, notes: 'Night shift: quiet apart from the Kharadi burst' },
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(made.body).toMatchObject({ kind: 'handover', acknowledgedAt: null });
    const listed = await api.request<StoredReport[]>('GET', '/api/v1/reports', { token: incoming });
    expect(listed.body.map((r) => r.id)).toContain(made.body.id);

    const byAuthor = await api.request('POST', `/api/v1/reports/${made.body.id}/acknowledge`, {
      token: outgoing,
    });
    expect(byAuthor.status).toBe(409);
    const taken = await api.request<StoredReport>('POST', `/api/v1/reports/${made.body.id}/acknowledge`, {
      token: incoming,
    });
    expect(taken.status).toBe(200);
    expect(taken.body.acknowledgedAt).not.toBeNull();
    expect(taken.body.acknowledgedBy).not.toBeNull();
    const again = await api.request('POST', `/api/v1/reports/${made.body.id}/acknowledge`, {
      token: incoming,
    });
    expect(again.status).toBe(409);
    const audited = await adminQuery<{ action: string }>(
      `SELECT action FROM audit_log WHERE resource_id = $1 ORDER BY id`,
      [made.body.id],
    );
    expect(audited.map((a) => a.action)).toEqual(['report.handover_create', 'report.handover_acknowledge']);

    const pdf = await fetch(`${server.url}/api/v1/reports/${made.body.id}/pdf`, {
      headers: { authorization: `Bearer ${incoming}` },
    });
    expect(pdf.status).toBe(200);
    const text = await pdfText(Buffer.from(await pdf.arrayBuffer()));
    expect(text).toContain('Night shift: quiet apart from the Kharadi burst');
    expect(text).toContain('Alarm rates against EEMUA 191');
  });

  it('makes the daily report once per tenant and day across two instances, and mails it with its PDF', async () => {
    const mailbox = await Mailbox.start();
    const env = {
      DAILY_REPORT: 'on',
      DAILY_REPORT_HOUR: '0',
      DAILY_REPORT_TICK_MS: '200',
      SMTP_URL: mailbox.url,
    };
    const [first, second] = [await startTestServer(env), await startTestServer(env)];
    try {
      const supervisor = tenantA.email('supervisor');
      const mail = await mailbox.waitFor(supervisor, /Daily operations report/);
      expect(mail.text).toMatch(/filename="?daily-report-\d{4}-\d{2}-\d{2}\.pdf/);
      const [tenant] = await adminQuery<{ id: string; name: string }>(
        'SELECT id, name FROM tenants WHERE slug = $1',
        [tenantA.slug],
      );
      const rows = await adminQuery<{
        report_date: string;
        emailed: boolean;
        pdf: Buffer;
        yesterday: string;
      }>(
        `SELECT r.report_date::text, r.emailed_at IS NOT NULL AS emailed, r.pdf,
                ((now() AT TIME ZONE t.time_zone)::date - 1)::text AS yesterday
           FROM reports r JOIN tenants t ON t.id = r.tenant_id WHERE r.tenant_id = $1 AND r.kind = 'daily'`,
        [tenant?.id],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0]?.report_date).toBe(rows[0]?.yesterday);
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(
        mailbox.mails.filter((m) => m.to === supervisor && /Daily operations report/.test(m.text)),
      ).toHaveLength(1);
      const text = await pdfText(rows[0]?.pdf ?? Buffer.alloc(0));
      expect(text).toContain(`Daily operations report: ${tenant?.name ?? ''}`);
      expect(text).toContain('Device downtime');
    } finally {
      await first.close();
      await second.close();
      await mailbox.close();
    }
  });
});
