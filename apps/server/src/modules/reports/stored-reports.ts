import { withTenant, type Database, type TenantTransaction } from '@tidewatch/db';
import type { HandoverReport, StoredReport } from '@tidewatch/shared';
import { conflict, notFound } from '../../http/app-error.ts';
import { dbContext, type TenantContext } from '../../http/request-context.ts';
import { zoneLimit } from '../../http/zone-scope.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { renderHandoverPdf } from './handover-pdf.ts';
import { readHandoverReport } from './handover-report.ts';

interface ReportRow {
  id: string;
  kind: StoredReport['kind'];
  period_start: Date;
  period_end: Date;
  report_date: string | null;
  created_by: string | null;
  created_at: Date;
  acknowledged_by: string | null;
  acknowledged_at: Date | null;
  emailed_at: Date | null;
}

const toStored = (row: ReportRow): StoredReport => ({
  id: row.id,
  kind: row.kind,
  periodStart: row.period_start.toISOString(),
  periodEnd: row.period_end.toISOString(),
  reportDate: row.report_date,
  createdBy: row.created_by,
  createdAt: row.created_at.toISOString(),
  acknowledgedBy: row.acknowledged_by,
  acknowledgedAt: row.acknowledged_at?.toISOString() ?? null,
  emailedAt: row.emailed_at?.toISOString() ?? null,
});

/**
 * The reports a user may read: every one, or for a user limited to zones only the handovers they made (a report
 * shows the zones of whoever made it).
 */
async function readReports(
  tx: TenantTransaction,
  ctx: TenantContext,
  id: string | null,
): Promise<ReportRow[]> {
  const own = zoneLimit(ctx) === null ? null : ctx.principal.userId;
  return tx.$queryRaw<ReportRow[]>`
    SELECT r.id::text, r.kind, r.period_start, r.period_end, r.report_date::text, c.display_name AS created_by,
           r.created_at, a.display_name AS acknowledged_by, r.acknowledged_at, r.emailed_at
      FROM reports r LEFT JOIN users c ON c.id = r.created_by LEFT JOIN users a ON a.id = r.acknowledged_by
     WHERE (${id}::uuid IS NULL OR r.id = ${id}::uuid) AND (${own}::uuid IS NULL OR r.created_by = ${own}::uuid)
     ORDER BY r.created_at DESC, r.id LIMIT 100`;
}

export function listReports(db: Database, ctx: TenantContext): Promise<StoredReport[]> {
  return withTenant(db.prisma, dbContext(ctx), async (tx) =>
    (await readReports(tx, ctx, null)).map(toStored),
  );
}

/** The outgoing operator hands over: the report of the shift is made, kept with its PDF, and audited. */
export async function createHandover(
  db: Database,
  ctx: TenantContext,
  body: { hours: number; notes: string | null },
): Promise<StoredReport> {
  const report = await readHandoverReport(db, ctx, body.hours, body.notes);
  const pdf = await renderHandoverPdf(report);
  return withTenant(db.prisma, dbContext(ctx), async (tx) => {
    const [created] = await tx.$queryRaw<{ id: string }[]>`
      INSERT INTO reports (tenant_id, kind, period_start, period_end, created_by, content, pdf)
      VALUES (${ctx.tenantId}::uuid, 'handover', ${new Date(report.from)}, ${new Date(report.to)},
              ${ctx.principal.userId}::uuid, ${JSON.stringify(report)}::jsonb, ${pdf})
      RETURNING id::text`;
    if (!created) throw new Error('handover not stored');
    await recordAudit(tx, ctx, {
      action: 'report.handover_create',
      resourceType: 'report',
      resourceId: created.id,
      details: {
        hours: body.hours,
        standing: report.standing.length,
        shelved: report.shelved.length,
        outOfService: report.outOfService.length,
        incidents: report.incidents.length,
      },
    });
    const [row] = await readReports(tx, ctx, created.id);
    if (!row) throw new Error('handover not readable');
    return toStored(row);
  });
}

/** A kept report's PDF and content, as it was handed out. */
export async function readStoredReport(
  db: Database,
  ctx: TenantContext,
  id: string,
): Promise<{ report: StoredReport; pdf: Buffer; content: HandoverReport }> {
  return withTenant(db.prisma, dbContext(ctx), async (tx) => {
    const [row] = await readReports(tx, ctx, id);
    if (!row) throw notFound('Report');
    const [file] = await tx.$queryRaw<{ pdf: Uint8Array; content: HandoverReport }[]>`
      SELECT pdf, content FROM reports WHERE id = ${id}::uuid`;
    if (!file) throw notFound('Report');
    return { report: toStored(row), pdf: Buffer.from(file.pdf), content: file.content };
  });
}

/**
 * The incoming operator takes the shift over: the handover is acknowledged once, by someone other than the one who
 * wrote it, and audited.
 */
export async function acknowledgeHandover(
  db: Database,
  ctx: TenantContext,
  id: string,
): Promise<StoredReport> {
  return withTenant(db.prisma, dbContext(ctx), async (tx) => {
    const [visible] = await readReports(tx, ctx, id);
    if (!visible) throw notFound('Report');
    const [current] = await tx.$queryRaw<
      { kind: string; created_by: string | null; acknowledged_at: Date | null }[]
    >`SELECT kind, created_by::text, acknowledged_at FROM reports WHERE id = ${id}::uuid FOR UPDATE`;
    if (!current) throw notFound('Report');
    if (current.kind !== 'handover') throw conflict('Only a shift handover is acknowledged');
    if (current.acknowledged_at !== null) throw conflict('This handover is already acknowledged');
    if (current.created_by === ctx.principal.userId)
      throw conflict('The incoming operator acknowledges a handover, not the one who wrote it');
    await tx.$executeRaw`
      UPDATE reports SET acknowledged_by = ${ctx.principal.userId}::uuid, acknowledged_at = now()
       WHERE id = ${id}::uuid`;
    await recordAudit(tx, ctx, {
      action: 'report.handover_acknowledge',
      resourceType: 'report',
      resourceId: id,
      details: { createdBy: visible.created_by },
    });
    const [row] = await readReports(tx, ctx, id);
    if (!row) throw notFound('Report');
    return toStored(row);
  });
}
