import { z } from 'zod';
import { alertPriorities, incidentStatuses } from '../domain/alerts.ts';
import { alertSchema } from './alert.schema.ts';
import { attachmentSchema } from './attachment.schema.ts';
import { maintenanceLogSchema } from './maintenance.schema.ts';
import { pageQuerySchema, safeTextSchema } from './common.ts';

export const incidentNoteSchema = z
  .object({ id: z.uuid(), authorId: z.uuid().nullable(), body: z.string(), createdAt: z.string() })
  .meta({ id: 'IncidentNote' });

export const incidentSchema = z
  .object({
    id: z.uuid(),
    number: z.number().int(),
    title: z.string(),
    description: z.string().nullable(),
    status: z.enum(incidentStatuses),
    priority: z.enum(alertPriorities),
    zoneId: z.uuid().nullable(),
    assetId: z.uuid().nullable(),
    assigneeId: z.uuid().nullable(),
    openedBy: z.uuid().nullable(),
    openedAt: z.string(),
    closedAt: z.string().nullable(),
    alertIds: z.array(z.uuid()),
  })
  .meta({ id: 'Incident' });
export type Incident = z.infer<typeof incidentSchema>;

export const incidentDetailSchema = incidentSchema
  .extend({
    notes: z.array(incidentNoteSchema),
    maintenanceLogs: z.array(maintenanceLogSchema),
    /** Photos and documents of the incident, each with the note it came with (if any), oldest first. */
    attachments: z.array(attachmentSchema),
    /** The linked alerts as they are now, newest first. */
    alerts: z.array(alertSchema),
  })
  .meta({ id: 'IncidentDetail' });
export type IncidentDetail = z.infer<typeof incidentDetailSchema>;

export const incidentQuerySchema = pageQuerySchema.extend({ status: z.enum(incidentStatuses).optional() });

export const createIncidentSchema = z
  .strictObject({
    title: safeTextSchema(300),
    description: z.string().trim().max(10_000).nullable().default(null),
    priority: z.enum(alertPriorities),
    /** Alerts the incident is opened from; the first one's asset and zone are taken when none are given. */
    alertIds: z.array(z.uuid()).max(500).default([]),
    assetId: z.uuid().nullable().default(null),
    zoneId: z.uuid().nullable().default(null),
  })
  .meta({ id: 'CreateIncident' });

export const updateIncidentSchema = z
  .strictObject({
    title: safeTextSchema(300).optional(),
    description: z.string().trim().max(10_000).nullable().optional(),
    priority: z.enum(alertPriorities).optional(),
    status: z.enum(['open', 'in_progress', 'resolved']).optional(),
    assigneeId: z.uuid().nullable().optional(),
    addAlertIds: z.array(z.uuid()).max(500).optional(),
  })
  .meta({ id: 'UpdateIncident' });

export const addIncidentNoteSchema = z
  .strictObject({
    body: z.string().trim().min(1).max(10_000),
    /** Files uploaded to the incident by the same user and not yet on a note, shown with this one. */
    attachmentIds: z.array(z.uuid()).max(20).default([]),
  })
  .meta({ id: 'AddIncidentNote' });

export const closeIncidentSchema = z
  .strictObject({
    maintenanceLog: z.strictObject({
      assetId: z.uuid().nullable().default(null),
      workDone: z.string().trim().min(1).max(10_000),
      partsUsed: z.string().trim().max(2000).nullable().default(null),
      startedAt: z.iso.datetime({ offset: true }),
      finishedAt: z.iso.datetime({ offset: true }),
    }),
  })
  .refine((c) => c.maintenanceLog.finishedAt >= c.maintenanceLog.startedAt, {
    message: 'finishedAt is before startedAt',
    path: ['maintenanceLog', 'finishedAt'],
  })
  .meta({ id: 'CloseIncident' });
