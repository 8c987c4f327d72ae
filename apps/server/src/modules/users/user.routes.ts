import {
  createUserSchema,
  endedSessionsSchema,
  idParamsSchema,
  pageOf,
  pageQuerySchema,
  sessionInfoSchema,
  updateUserSchema,
  userSchema,
} from '@tidewatch/shared';
import { z } from 'zod';
import { defineRoute, type AnyRoute } from '../../http/route.ts';
import { createUser, listUsers, readUser, updateUser, type UserServiceDeps } from './user-service.ts';
import { endUserSessions, listUserSessions, resetUserTotp } from './user-sessions.ts';

/** Users of a tenant, managed by its administrators. */
export function userRoutes(deps: UserServiceDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/users',
      summary: 'List the tenant’s users',
      tag: 'users',
      access: 'tenant',
      permission: 'user:read',
      query: pageQuerySchema,
      response: pageOf(userSchema),
      handler: ({ query }, ctx) => listUsers(deps.db, ctx, query),
    }),
    defineRoute({
      method: 'get',
      path: '/users/:id',
      summary: 'One user',
      tag: 'users',
      access: 'tenant',
      permission: 'user:read',
      params: idParamsSchema,
      response: userSchema,
      handler: ({ params }, ctx) => readUser(deps.db, ctx, params.id),
    }),
    defineRoute({
      method: 'post',
      path: '/users',
      summary:
        'Create a user in the tenant with a temporary password (changed at the first sign-in); an e-mail is ' +
        'unique within the tenant',
      tag: 'users',
      access: 'tenant',
      permission: 'user:write',
      body: createUserSchema,
      response: userSchema,
      status: 201,
      handler: ({ body }, ctx) => createUser(deps, ctx, body),
    }),
    defineRoute({
      method: 'patch',
      path: '/users/:id',
      summary:
        'Change a user’s role, zones or name, set a temporary password (their sessions end; they choose their ' +
        'own at the next sign-in), or disable them (effective on their next request; their open sockets are ' +
        're-scoped or closed at once)',
      tag: 'users',
      access: 'tenant',
      permission: 'user:write',
      params: idParamsSchema,
      body: updateUserSchema,
      response: userSchema,
      handler: ({ params, body }, ctx) => updateUser(deps, ctx, params.id, body),
    }),
    defineRoute({
      method: 'get',
      path: '/users/:id/sessions',
      summary: 'A user’s live sessions',
      tag: 'users',
      access: 'tenant',
      permission: 'user:write',
      params: idParamsSchema,
      response: z.array(sessionInfoSchema),
      handler: ({ params }, ctx) => listUserSessions(deps, ctx, params.id),
    }),
    defineRoute({
      method: 'post',
      path: '/users/:id/sessions/end',
      summary: 'Sign a user out everywhere; their open sockets close at once',
      tag: 'users',
      access: 'tenant',
      permission: 'user:write',
      params: idParamsSchema,
      response: endedSessionsSchema,
      handler: ({ params }, ctx) => endUserSessions(deps, ctx, params.id),
    }),
    defineRoute({
      method: 'post',
      path: '/users/:id/totp/reset',
      summary:
        'Remove a user’s authenticator (a lost phone) and end their sessions; they set up a new one if required',
      tag: 'users',
      access: 'tenant',
      permission: 'user:write',
      params: idParamsSchema,
      response: null,
      handler: ({ params }, ctx) => resetUserTotp(deps, ctx, params.id),
    }),
  ];
}
