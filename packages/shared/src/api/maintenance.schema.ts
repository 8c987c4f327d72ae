import { z } from 'zod';
import { attachmentSchema } from './attachment.schema.ts';
import { safeTextSchema, timestampSchema } from './common.ts';

export const maintenanceLogSchema = z
  .object({
    id: z.uuid(),
    assetId: z.uuid().nullable(),
    incidentId: z.uuid().nullable(),
    maintenancePlanId: z.uuid().nullable(),
    performedBy: z.uuid().nullable(),
    workDone: z.string(),
    partsUsed: z.string().nullable(),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'MaintenanceLog' });
export type MaintenanceLog = z.infer<typeof maintenanceLogSchema>;

export const maintenanceLogDetailSchema = maintenanceLogSchema
  .extend({ attachments: z.array(attachmentSchema) })
  .meta({ id: 'MaintenanceLogDetail' });
export type MaintenanceLogDetail = z.infer<typeof maintenanceLogDetailSchema>;

/** Work done on an asset, as the crew logs it. Naming a plan completes it (or moves a recurring one on). */
export const createMaintenanceLogSchema = z
  .strictObject({
    workDone: z.string().trim().min(1).max(10_000),
    partsUsed: z.string().trim().max(2000).nullable().default(null),
    startedAt: timestampSchema,
    finishedAt: timestampSchema.nullable().default(null),
    maintenancePlanId: z.uuid().nullable().default(null),
  })
  .refine((log) => log.finishedAt === null || Date.parse(log.finishedAt) >= Date.parse(log.startedAt), {
    message: 'finishedAt is before startedAt',
    path: ['finishedAt'],
  })
  .meta({ id: 'CreateMaintenanceLog' });
export type CreateMaintenanceLog = z.infer<typeof createMaintenanceLogSchema>;

export const maintenancePlanSchema = z
  .object({
    id: z.uuid(),
    assetId: z.uuid(),
    title: z.string(),
    description: z.string().nullable(),
    /** Recurring every so many days from the work that completes it; null: once. */
    intervalDays: z.int().nullable(),
    dueAt: z.string(),
    remindBeforeS: z.int(),
    /** The due date whose reminder was sent, if it was. */
    remindedFor: z.string().nullable(),
    completedAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'MaintenancePlan' });
export type MaintenancePlan = z.infer<typeof maintenancePlanSchema>;

export const maintenancePlanListSchema = z
  .object({ items: z.array(maintenancePlanSchema) })
  .meta({ id: 'MaintenancePlanList' });

export const createMaintenancePlanSchema = z
  .strictObject({
    title: safeTextSchema(300),
    description: z.string().trim().max(10_000).nullable().default(null),
    intervalDays: z.int().min(1).max(3660).nullable().default(null),
    dueAt: timestampSchema,
    remindBeforeS: z
      .int()
      .min(0)
      .max(90 * 86_400)
      .default(86_400),
  })
  .meta({ id: 'CreateMaintenancePlan' });

export const updateMaintenancePlanSchema = z
  .strictObject({
    title: safeTextSchema(300).optional(),
    description: z.string().trim().max(10_000).nullable().optional(),
    intervalDays: z.int().min(1).max(3660).nullable().optional(),
    dueAt: timestampSchema.optional(),
    remindBeforeS: z
      .int()
      .min(0)
      .max(90 * 86_400)
      .optional(),
  })
  .meta({ id: 'UpdateMaintenancePlan' });

export const maintenancePlanQuerySchema = z.strictObject({
  due: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .describe('true: only open plans whose reminder time has come (due soon or overdue)'),
});

export const timelineKinds = [
  'maintenance',
  'maintenance_plan',
  'alert',
  'calibration',
  'downtime',
  'command',
  'firmware',
] as const;
export type TimelineKind = (typeof timelineKinds)[number];

/** One event in an asset's history. */
export const timelineEntrySchema = z
  .object({
    kind: z.enum(timelineKinds),
    /** The record it comes from (a log, alert, calibration, downtime, command or firmware id). */
    id: z.string(),
    at: z.string(),
    /** When it ended, for what lasts (downtime, work, an alert until it cleared). */
    endAt: z.string().nullable(),
    title: z.string(),
    detail: z.string().nullable(),
    deviceId: z.uuid().nullable(),
  })
  .meta({ id: 'TimelineEntry' });
export type TimelineEntry = z.infer<typeof timelineEntrySchema>;

export const timelineQuerySchema = z.strictObject({
  before: timestampSchema.optional().describe('Entries before this time (the next page); default now'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const timelineSchema = z
  .object({
    items: z.array(timelineEntrySchema),
    /** Pass as `before` for older entries; null when there are none. */
    nextBefore: z.string().nullable(),
  })
  .meta({ id: 'AssetTimeline' });
export type AssetTimeline = z.infer<typeof timelineSchema>;
