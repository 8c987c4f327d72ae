import { z } from 'zod';
import { alertPriorities } from '../domain/alerts.ts';

const handoverAlertSchema = z.object({
  priority: z.enum(alertPriorities),
  state: z.string(),
  ruleName: z.string(),
  assetName: z.string().nullable(),
  zoneName: z.string().nullable(),
  raisedAt: z.string(),
  message: z.string(),
  /** Standing: who acknowledged; shelved: who shelved; out of service: who took it out. */
  who: z.string().nullable(),
  /** Shelved or out of service: the reason given. */
  why: z.string().nullable(),
  /** Shelved: until when. */
  until: z.string().nullable(),
});

/** A shift handover: what stands, what is set aside and why, open incidents, and the shift's alarm events. */
export const handoverReportSchema = z
  .object({
    tenantName: z.string(),
    timeZone: z.string(),
    preparedBy: z.string().nullable(),
    from: z.string(),
    to: z.string(),
    notes: z.string().nullable(),
    standing: z.array(handoverAlertSchema),
    shelved: z.array(handoverAlertSchema),
    outOfService: z.array(handoverAlertSchema),
    incidents: z.array(
      z.object({
        reference: z.string(),
        title: z.string(),
        status: z.string(),
        priority: z.enum(alertPriorities),
        assignee: z.string().nullable(),
        openedAt: z.string(),
      }),
    ),
    shiftEvents: z.object({ raised: z.int(), acknowledged: z.int(), cleared: z.int() }),
    /** Alarm rates against EEMUA 191's benchmarks for one operator. */
    kpis: z.object({
      raisedByPriority: z.object({ critical: z.int(), high: z.int(), medium: z.int(), low: z.int() }),
      averagePerHour: z.number(),
      /** The most alarms raised in any ten minutes of the period. */
      peakPer10Min: z.int(),
      medianAcknowledgeS: z.number().nullable(),
      /** EEMUA 191 on the average rate: ≤ 6/h very likely acceptable, ≤ 12/h manageable, beyond over-demanding. */
      averageVerdict: z.enum([
        'very likely acceptable',
        'manageable',
        'over-demanding',
        'very likely unacceptable',
      ]),
      /** EEMUA 191 on the peak: ≤ 10 in 10 min acceptable, ≤ 20 hard to cope with, beyond excessive. */
      peakVerdict: z.enum(['acceptable', 'hard to cope with', 'excessive']),
    }),
    /** Devices offline during the period, longest first (at most 20), and how many in all. */
    downtime: z.object({
      devices: z.int(),
      longest: z.array(
        z.object({
          deviceName: z.string(),
          assetName: z.string().nullable(),
          startedAt: z.string(),
          endedAt: z.string().nullable(),
          minutes: z.int(),
        }),
      ),
    }),
  })
  .meta({ id: 'HandoverReport' });
export type HandoverReport = z.infer<typeof handoverReportSchema>;

export const handoverQuerySchema = z.strictObject({
  hours: z.coerce.number().int().min(1).max(72).default(12),
  notes: z.string().max(4000).optional(),
});

export const createHandoverSchema = z
  .strictObject({
    hours: z.int().min(1).max(72).default(12),
    notes: z.string().max(4000).nullable().default(null),
  })
  .meta({ id: 'CreateHandover' });

export const reportKinds = ['handover', 'daily'] as const;

/** A report kept: a handover (acknowledged by the incoming operator) or a daily operations report. */
export const storedReportSchema = z
  .object({
    id: z.uuid(),
    kind: z.enum(reportKinds),
    periodStart: z.string(),
    periodEnd: z.string(),
    reportDate: z.string().nullable(),
    createdBy: z.string().nullable(),
    createdAt: z.string(),
    acknowledgedBy: z.string().nullable(),
    acknowledgedAt: z.string().nullable(),
    emailedAt: z.string().nullable(),
  })
  .meta({ id: 'StoredReport' });
export type StoredReport = z.infer<typeof storedReportSchema>;
