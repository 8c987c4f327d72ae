import { userNameSchema } from '@tidewatch/shared';
import { z } from 'zod';
import { defineRoute, type AnyRoute } from '../../http/route.ts';
import type { RouteDeps } from '../api-routes.ts';
import { listUserNames } from './user-names.ts';

/** Names for ids, for whoever reads alerts: the console shows people by name, not by id. */
export function userNameRoutes(deps: RouteDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/user-names',
      summary: 'The display name of every user of the tenant, by id',
      tag: 'users',
      access: 'tenant',
      permission: 'alert:read',
      response: z.array(userNameSchema),
      handler: (_input, ctx) => listUserNames(deps.db, ctx),
    }),
  ];
}
