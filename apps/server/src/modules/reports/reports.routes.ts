import {
  createHandoverSchema,
  handoverQuerySchema,
  handoverReportSchema,
  idParamsSchema,
  storedReportSchema,
} from '@tidewatch/shared';
import { z } from 'zod';
import { defineRoute, RawBody, type AnyRoute } from '../../http/route.ts';
import type { RouteDeps } from '../api-routes.ts';
import { renderHandoverCsv } from './handover-csv.ts';
import { renderHandoverPdf } from './handover-pdf.ts';
import { readHandoverReport } from './handover-report.ts';
import { acknowledgeHandover, createHandover, listReports, readStoredReport } from './stored-reports.ts';

const attachment = (name: string) => ({
  'content-disposition': `attachment; filename="${name}"`,
  'cache-control': 'no-store',
});

/** Shift handovers and daily operations reports: on screen, as PDF and CSV, kept and acknowledged. */
export function reportRoutes(deps: RouteDeps): AnyRoute[] {
  const { db } = deps;
  return [
    defineRoute({
      method: 'get',
      path: '/reports/handover',
      summary:
        'The shift handover now: alarms standing and set aside with who and why, incidents, rates, downtime',
      tag: 'reports',
      access: 'tenant',
      permission: 'alert:read',
      query: handoverQuerySchema,
      response: handoverReportSchema,
      handler: ({ query }, ctx) => readHandoverReport(db, ctx, query.hours, query.notes ?? null),
    }),
    defineRoute({
      method: 'get',
      path: '/reports/handover.pdf',
      summary: 'The shift handover now, as a PDF',
      tag: 'reports',
      access: 'tenant',
      permission: 'alert:read',
      query: handoverQuerySchema,
      contentType: 'application/pdf',
      response: z.string().describe('a PDF document'),
      handler: async ({ query }, ctx) => {
        const report = await readHandoverReport(db, ctx, query.hours, query.notes ?? null);
        return new RawBody<string>(
          await renderHandoverPdf(report),
          'application/pdf',
          attachment(`handover-${report.to.slice(0, 10)}.pdf`),
        );
      },
    }),
    defineRoute({
      method: 'get',
      path: '/reports/handover.csv',
      summary: 'The shift handover now, as CSV',
      tag: 'reports',
      access: 'tenant',
      permission: 'alert:read',
      query: handoverQuerySchema,
      contentType: 'text/csv',
      response: z.string().describe('CSV'),
      handler: async ({ query }, ctx) => {
        const report = await readHandoverReport(db, ctx, query.hours, query.notes ?? null);
        return new RawBody<string>(
          renderHandoverCsv(report),
          'text/csv; charset=utf-8',
          attachment(`handover-${report.to.slice(0, 10)}.csv`),
        );
      },
    }),
    defineRoute({
      method: 'get',
      path: '/reports',
      summary: 'Reports kept: handovers and daily operations reports, newest first (100)',
      tag: 'reports',
      access: 'tenant',
      permission: 'alert:read',
      response: z.array(storedReportSchema),
      handler: (_input, ctx) => listReports(db, ctx),
    }),
    defineRoute({
      method: 'post',
      path: '/reports/handover',
      summary: 'Hand over the shift: the report is made now and kept with its PDF',
      tag: 'reports',
      access: 'tenant',
      permission: 'alert:acknowledge',
      status: 201,
      body: createHandoverSchema,
      response: storedReportSchema,
      handler: ({ body }, ctx) => createHandover(db, ctx, body),
    }),
    defineRoute({
      method: 'post',
      path: '/reports/:id/acknowledge',
      summary: 'Take the shift over: the incoming operator acknowledges the handover (once; not its author)',
      tag: 'reports',
      access: 'tenant',
      permission: 'alert:acknowledge',
      params: idParamsSchema,
      response: storedReportSchema,
      handler: ({ params }, ctx) => acknowledgeHandover(db, ctx, params.id),
    }),
    defineRoute({
      method: 'get',
      path: '/reports/:id/pdf',
      summary: 'A kept report’s PDF, as it was handed out',
      tag: 'reports',
      access: 'tenant',
      permission: 'alert:read',
      params: idParamsSchema,
      contentType: 'application/pdf',
      response: z.string().describe('a PDF document'),
      handler: async ({ params }, ctx) => {
        const { report, pdf } = await readStoredReport(db, ctx, params.id);
        return new RawBody<string>(
          pdf,
          'application/pdf',
          attachment(`${report.kind}-${(report.reportDate ?? report.periodEnd).slice(0, 10)}.pdf`),
        );
      },
    }),
    defineRoute({
      method: 'get',
      path: '/reports/:id/csv',
      summary: 'A kept report’s lists, as CSV',
      tag: 'reports',
      access: 'tenant',
      permission: 'alert:read',
      params: idParamsSchema,
      contentType: 'text/csv',
      response: z.string().describe('CSV'),
      handler: async ({ params }, ctx) => {
        const { report, content } = await readStoredReport(db, ctx, params.id);
        return new RawBody<string>(
          renderHandoverCsv(content),
          'text/csv; charset=utf-8',
          attachment(`${report.kind}-${(report.reportDate ?? report.periodEnd).slice(0, 10)}.csv`),
        );
      },
    }),
  ];
}
