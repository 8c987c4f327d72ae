import { z } from 'zod';
import { safeTextSchema } from './common.ts';

export const tenantSchema = z
  .object({
    id: z.uuid(),
    slug: z.string(),
    name: z.string(),
    timeZone: z.string(),
    disabled: z.boolean(),
    createdAt: z.string(),
  })
  .meta({ id: 'Tenant' });
export type Tenant = z.infer<typeof tenantSchema>;

export const createTenantSchema = z
  .strictObject({
    slug: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/),
    name: safeTextSchema(200),
    timeZone: z.string().min(1).max(64).default('UTC'),
  })
  .meta({ id: 'CreateTenant' });

export const updateTenantSchema = z
  .strictObject({
    name: safeTextSchema(200).optional(),
    timeZone: z.string().min(1).max(64).optional(),
    disabled: z.boolean().optional(),
  })
  .meta({ id: 'UpdateTenant' });
