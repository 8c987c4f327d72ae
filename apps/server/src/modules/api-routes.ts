import type { AppDeps } from '../app.ts';
import type { AnyRoute } from '../http/route.ts';
import type { AccessTokens } from './auth/access-token.ts';
import { authRoutes } from './auth/auth.routes.ts';

export type RouteDeps = AppDeps & { readonly tokens: AccessTokens };

/** Every REST route of API v1, in the order the OpenAPI document lists them. */
export function apiRoutes(deps: RouteDeps): AnyRoute[] {
  const { config } = deps;
  return [
    ...authRoutes(
      {
        db: deps.db,
        tokens: deps.tokens,
        sessionTtlSeconds: config.SESSION_TTL_S,
        lockoutThreshold: config.LOGIN_LOCKOUT_THRESHOLD,
        loginAttempts: deps.metrics.loginAttempts,
      },
      {
        perIp: config.LOGIN_RATE_LIMIT_PER_IP,
        perEmail: config.LOGIN_RATE_LIMIT_PER_EMAIL,
        windowSeconds: config.LOGIN_RATE_WINDOW_S,
      },
    ),
  ];
}
