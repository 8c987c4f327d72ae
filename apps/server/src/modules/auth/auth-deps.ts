import type { EventBus } from '../../events/event-bus.ts';
import type { Database } from '@tidewatch/db';
import type { Counter } from 'prom-client';
import type { AccessTokens } from './access-token.ts';
import type { AccountNotices } from './account-notices.ts';
import type { RouteDeps } from '../api-routes.ts';
import type { SecretBox } from '../secrets/secret-box.ts';
import type { CredentialChecks } from './credential-checks.ts';
import { LoginThrottle } from './login-throttle.ts';

export interface AuthDeps {
  readonly db: Database;
  readonly tokens: AccessTokens;
  readonly sessionTtlSeconds: number;
  readonly loginAttempts: Counter<'outcome'>;
  /** Tells the realtime gateway when a session ends, so its sockets close at once. */
  readonly bus: EventBus;
  readonly throttle: LoginThrottle;
  /** Bounds the argon2 work of sign-ins, shared with devices. */
  readonly credentialChecks: CredentialChecks;
  readonly notices: AccountNotices;
  /** Seals TOTP secrets at rest. */
  readonly secrets: SecretBox;
}

/** The auth module's dependencies, from the server's. */
export function authDeps(deps: RouteDeps): AuthDeps {
  const { config } = deps;
  const policy = (failures: number) => ({
    failures,
    baseSeconds: config.LOGIN_THROTTLE_BASE_S,
    maxSeconds: config.LOGIN_THROTTLE_MAX_S,
  });
  return {
    db: deps.db,
    tokens: deps.tokens,
    sessionTtlSeconds: config.SESSION_TTL_S,
    loginAttempts: deps.metrics.loginAttempts,
    bus: deps.bus,
    notices: deps.accountNotices,
    credentialChecks: deps.credentialChecks,
    throttle: new LoginThrottle(deps.db.pool, {
      pair: policy(config.LOGIN_THROTTLE_PAIR_FAILURES),
      address: policy(config.LOGIN_THROTTLE_ADDRESS_FAILURES),
      account: policy(config.LOGIN_THROTTLE_ACCOUNT_FAILURES),
      // A code has a million values: ten wrong ones an hour over all sessions is plenty for a person.
      secondFactor: policy(10),
      windowSeconds: config.LOGIN_THROTTLE_WINDOW_S,
    }),
    secrets: deps.secrets,
  };
}
