import { describeDatabaseError, isRetryableDatabaseError, withTenantClient } from '@tidewatch/db';
import type pg from 'pg';
import type { Logger } from '../../logger.ts';
import {
  claimMessages,
  markFailed,
  markSent,
  runDueSteps,
  startEscalations,
  stopEscalations,
} from './escalation-steps.ts';
import { sendSms, type SmsGatewayConfig } from './sms-gateway.ts';

export interface EscalationOptions {
  readonly tickMs: number;
  /** Null: messages are written and wait (state pending) until a gateway is configured. */
  readonly gateway: SmsGatewayConfig | null;
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
}

/** A claimed message is this instance's for this long; one that stopped mid-send is taken over after it. */
const LEASE_S = 60;

/**
 * Escalation that reaches someone: on every tick and for every tenant, unacknowledged alerts start (or go on
 * with) their policy's steps and the due SMS messages go to the gateway, with retries. Every instance runs it;
 * the database decides who does what (see escalation-steps.ts), so each step is sent once and an acknowledgement
 * anywhere stops the escalation everywhere at the next tick.
 */
export class EscalationRunner {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly log: Logger,
    private readonly options: EscalationOptions,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.runOnce(), this.options.tickMs);
    this.timer.unref();
  }

  /** One pass over every tenant; resolves when done (a pass already running is joined). */
  runOnce(): Promise<void> {
    this.running ??= this.pass().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.running;
  }

  private async pass(): Promise<void> {
    let tenants: string[];
    try {
      const { rows } = await this.pool.query<{ id: string }>('SELECT alert_engine_tenants() AS id');
      tenants = rows.map((row) => row.id);
    } catch (error) {
      this.log.error({ err: error }, 'escalation could not list tenants');
      return;
    }
    for (const tenantId of tenants) {
      if (this.closed) return;
      try {
        await this.tenantPass(tenantId);
      } catch (error) {
        // A held lock or a database away is the next tick's to retry; anything else is a fault to look at.
        if (isRetryableDatabaseError(error))
          this.log.warn(
            { reason: describeDatabaseError(error), tenantId },
            'escalation found the database busy or away; it runs again at the next tick',
          );
        else
          this.log.error({ err: error, tenantId }, 'escalation pass failed; it runs again at the next tick');
      }
    }
  }

  private async tenantPass(tenantId: string): Promise<void> {
    const context = { tenantId, userId: null, role: null };
    await withTenantClient(this.pool, context, async (client) => {
      await stopEscalations(client);
      await startEscalations(client);
      await runDueSteps(client, Date.now());
    });
    const gateway = this.options.gateway;
    if (!gateway) return;
    for (;;) {
      const claimed = await withTenantClient(this.pool, context, (client) =>
        claimMessages(client, 20, LEASE_S),
      );
      if (claimed.length === 0 || this.closed) return;
      for (const message of claimed) {
        const outcome = await sendSms(gateway, message.phone, message.body);
        await withTenantClient(this.pool, context, (client) =>
          outcome.ok
            ? markSent(client, message.id, outcome.providerId)
            : markFailed(
                client,
                message.id,
                outcome.error,
                outcome.retry,
                this.options.retryBaseMs * 2 ** Math.min(message.attempts - 1, 10),
                this.options.maxAttempts,
              ),
        );
        if (!outcome.ok)
          this.log.warn({ tenantId, messageId: message.id, error: outcome.error }, 'SMS not delivered');
      }
    }
  }
}
