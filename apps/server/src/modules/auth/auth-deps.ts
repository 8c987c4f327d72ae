import type { Database } from '@tidewatch/db';
import type { Counter } from 'prom-client';
import type { AccessTokens } from './access-token.ts';

export interface AuthDeps {
  readonly db: Database;
  readonly tokens: AccessTokens;
  readonly sessionTtlSeconds: number;
  readonly lockoutThreshold: number;
  readonly loginAttempts: Counter<'outcome'>;
}
