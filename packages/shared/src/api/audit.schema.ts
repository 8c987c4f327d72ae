import { z } from 'zod';
import { actorTypes, auditOutcomes } from '../domain/audit.ts';
import { pageQuerySchema } from './common.ts';

export const auditEntrySchema = z
  .object({
    id: z.string(),
    at: z.string(),
    actorType: z.enum(actorTypes),
    actorId: z.uuid().nullable(),
    action: z.string(),
    resourceType: z.string(),
    resourceId: z.string().nullable(),
    outcome: z.enum(auditOutcomes),
    requestId: z.string().nullable(),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    details: z.unknown(),
  })
  .meta({ id: 'AuditEntry' });
export type AuditEntry = z.infer<typeof auditEntrySchema>;

export const auditQuerySchema = pageQuerySchema.extend({
  actorId: z.uuid().optional(),
  action: z.string().max(100).optional(),
  resourceType: z.string().max(64).optional(),
  resourceId: z.string().max(200).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});
