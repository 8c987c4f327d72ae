import {
  loginRequestSchema,
  meSchema,
  refreshRequestSchema,
  secondFactorRequestSchema,
  tokenResponseSchema,
} from '@tidewatch/shared';
import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { AppError } from '../../http/app-error.ts';
import { defineRoute, type AnyRoute } from '../../http/route.ts';
import type { AuthDeps } from './auth-deps.ts';
import { login } from './login.ts';
import { logout } from './logout.ts';
import { refreshSession } from './refresh-session.ts';
import { verifySecondFactor } from './second-factor.ts';
import { describeMe } from './session-tokens.ts';

/**
 * Requests per address to the public sign-in routes, whatever they say: keeps the argon2id work an address can
 * cause bounded. Accounts are protected by `LoginThrottle`, which answers like a wrong password.
 */
export interface LoginRateLimits {
  readonly perIp: number;
  readonly windowSeconds: number;
}

function limiter(limit: number, windowSeconds: number, key: (req: Request) => string): RequestHandler {
  return rateLimit({
    windowMs: windowSeconds * 1000,
    limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: key,
    handler: (_req, res, next) => {
      const retryAfter = String(res.getHeader('Retry-After') ?? windowSeconds);
      next(
        new AppError('too_many_requests', 'Too many sign-in attempts; slow down', undefined, {
          'Retry-After': retryAfter,
        }),
      );
    },
  });
}

const clientIp = (req: Request): string => ipKeyGenerator(req.ip ?? 'unknown');

export function authRoutes(deps: AuthDeps, limits: LoginRateLimits): AnyRoute[] {
  const perIp = limiter(limits.perIp, limits.windowSeconds, clientIp);
  const refreshPerIp = limiter(limits.perIp * 4, limits.windowSeconds, clientIp);
  return [
    defineRoute({
      method: 'post',
      path: '/auth/login',
      summary: 'Sign in with e-mail and password',
      tag: 'auth',
      access: 'public',
      before: [perIp],
      body: loginRequestSchema,
      response: tokenResponseSchema,
      handler: ({ body }, ctx) => login(deps, ctx, body),
    }),
    defineRoute({
      method: 'post',
      path: '/auth/second-factor',
      summary:
        'The sign-in step after the password for a user with two-step verification: a code from the ' +
        'authenticator app (never one already used) or a one-time recovery code',
      tag: 'auth',
      access: 'signed_in',
      duringSignIn: ['second_factor'],
      body: secondFactorRequestSchema,
      response: meSchema,
      handler: ({ body }, ctx) => verifySecondFactor(deps, ctx, body),
    }),
    defineRoute({
      method: 'post',
      path: '/auth/refresh',
      summary: 'Trade a refresh token for a new token pair (each refresh token works once)',
      tag: 'auth',
      access: 'public',
      before: [refreshPerIp],
      body: refreshRequestSchema,
      response: tokenResponseSchema,
      handler: ({ body }, ctx) => refreshSession(deps, ctx, body),
    }),
    defineRoute({
      method: 'post',
      path: '/auth/logout',
      summary: 'End the current session',
      tag: 'auth',
      access: 'signed_in',
      duringSignIn: 'any',
      response: null,
      handler: (_input, ctx) => logout(deps, ctx),
    }),
    defineRoute({
      method: 'get',
      path: '/me',
      summary: 'The signed-in user, with their role, zones and permissions as they are now',
      tag: 'auth',
      access: 'signed_in',
      duringSignIn: 'any',
      freshPrincipal: true,
      response: meSchema,
      handler: (_input, ctx) => Promise.resolve(describeMe(ctx.principal)),
    }),
  ];
}
