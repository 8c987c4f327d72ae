import { describeDatabaseError, isRetryableDatabaseError, withTenant, type Database } from '@tidewatch/db';
import type { Logger } from '../../logger.ts';
import type { EmailSender } from '../alert-engine/email-sender.ts';
import { renderHandoverPdf } from './handover-pdf.ts';
import { collectShiftReport } from './handover-report.ts';

export interface DailyReportOptions {
  readonly tickMs: number;
  /** The local hour (in each tenant's time zone) from which yesterday's report is made. */
  readonly hour: number;
  /** Null: reports are made and kept, not e-mailed. */
  readonly email: EmailSender | null;
}

interface DueDay {
  day: string;
  from: Date;
  to: Date;
}

/**
 * The daily operations report: once a tenant's local clock passes `hour`, the report of its previous local day
 * (alarms standing and set aside, incidents, alarm rates against EEMUA 191, device downtime) is made, kept and
 * e-mailed as a PDF to its supervisors and administrators. Every instance runs the job; the unique (tenant, day)
 * row decides which one makes and sends it.
 */
export class DailyReportJob {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly db: Database,
    private readonly log: Logger,
    private readonly options: DailyReportOptions,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.runOnce(), this.options.tickMs);
    this.timer.unref();
    void this.runOnce();
  }

  runOnce(): Promise<void> {
    this.running ??= this.pass().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.running;
    this.options.email?.close();
  }

  private async pass(): Promise<void> {
    try {
      const { rows } = await this.db.pool.query<{ id: string }>('SELECT alert_engine_tenants() AS id');
      for (const { id } of rows) {
        if (this.closed) return;
        await this.tenantPass(id).catch((error: unknown) => {
          if (isRetryableDatabaseError(error))
            this.log.warn(
              { reason: describeDatabaseError(error), tenantId: id },
              'daily report found the database busy or away; it is tried again at the next tick',
            );
          else
            this.log.error(
              { err: error, tenantId: id },
              'daily report failed; it is tried again at the next tick',
            );
        });
      }
    } catch (error) {
      this.log.error({ err: error }, 'daily report could not list tenants');
    }
  }

  private async tenantPass(tenantId: string): Promise<void> {
    const context = { tenantId, userId: null, role: null };
    const [due] = await withTenant(
      this.db.prisma,
      context,
      (tx) => tx.$queryRaw<DueDay[]>`
        SELECT d.day::text AS day, d.day::timestamp AT TIME ZONE t.time_zone AS "from",
               (d.day + 1)::timestamp AT TIME ZONE t.time_zone AS "to"
          FROM tenants t CROSS JOIN LATERAL (SELECT (now() AT TIME ZONE t.time_zone)::date - 1 AS day) d
         WHERE t.id = ${tenantId}::uuid
           AND (now() AT TIME ZONE t.time_zone)::time >= make_time(${this.options.hour}::int, 0, 0)
           AND NOT EXISTS (SELECT 1 FROM reports r WHERE r.kind = 'daily' AND r.report_date = d.day)`,
    );
    if (!due) return;
    const report = await withTenant(this.db.prisma, context, (tx) =>
      collectShiftReport(tx, {
        tenantId,
        zones: null,
        from: due.from,
        to: due.to,
        preparedBy: 'Tidewatch, daily',
        notes: null,
      }),
    );
    const pdf = await renderHandoverPdf(report, 'Daily operations report');
    const made = await withTenant(
      this.db.prisma,
      context,
      (tx) => tx.$queryRaw<{ id: string }[]>`
        INSERT INTO reports (tenant_id, kind, period_start, period_end, report_date, content, pdf)
        VALUES (${tenantId}::uuid, 'daily', ${due.from}, ${due.to}, ${due.day}::date, ${JSON.stringify(report)}::jsonb,
                ${pdf})
        ON CONFLICT (tenant_id, kind, report_date) DO NOTHING RETURNING id::text`,
    );
    const id = made[0]?.id;
    // Another instance made it first: it sends it, too.
    if (id === undefined) return;
    this.log.info({ tenantId, day: due.day }, 'daily operations report made');
    const email = this.options.email;
    if (!email) return;
    const recipients = await withTenant(
      this.db.prisma,
      context,
      (tx) => tx.$queryRaw<{ email: string }[]>`
        SELECT email FROM users WHERE role IN ('supervisor', 'tenant_admin') AND disabled_at IS NULL ORDER BY email`,
    );
    const raised = report.kpis.raisedByPriority;
    for (const { email: to } of recipients) {
      await email.sendMessage({
        to,
        subject: `Daily operations report ${due.day}: ${report.tenantName}`,
        text: [
          `${report.tenantName}, ${due.day} (${report.timeZone}).`,
          `Alarms raised: ${String(raised.critical)} critical, ${String(raised.high)} high, ${String(raised.medium)} medium, ${String(raised.low)} low; ${report.kpis.averageVerdict} (EEMUA 191).`,
          `Standing now: ${String(report.standing.length)}; shelved: ${String(report.shelved.length)}; out of service: ${String(report.outOfService.length)}; open incidents: ${String(report.incidents.length)}.`,
          'The report is attached.',
        ].join('\n'),
        attachments: [
          { filename: `daily-report-${due.day}.pdf`, content: pdf, contentType: 'application/pdf' },
        ],
      });
    }
    await withTenant(
      this.db.prisma,
      context,
      (tx) => tx.$executeRaw`UPDATE reports SET emailed_at = now() WHERE id = ${id}::uuid`,
    );
  }
}
