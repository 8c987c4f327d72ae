import type { EventBus } from '../../events/event-bus.ts';
import type { Database } from '@tidewatch/db';
import type { Counter } from 'prom-client';
import type { AccessTokens } from './access-token.ts';

export interface AuthDeps {
  readonly db: Database;
  readonly tokens: AccessTokens;
  readonly sessionTtlSeconds: number;
  readonly lockoutThreshold: number;
  readonly loginAttempts: Counter<'outcome'>;
  /** Tells the realtime gateway when a session ends, so its sockets close at once. */
  readonly bus: EventBus;
}
