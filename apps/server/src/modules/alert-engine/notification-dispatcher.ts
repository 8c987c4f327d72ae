import { withTenantClient } from '@tidewatch/db';
import type { Alert } from '@tidewatch/shared';
import type pg from 'pg';
import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../../logger.ts';
import { createEmailSender, type EmailSender } from './email-sender.ts';
import { claimDeliveries, markAttemptFailed, markDelivered, type Delivery } from './notification-outbox.ts';
import type { DestinationPolicy, Resolve } from '../outbound/destination-guard.ts';
import { SecretBoxError, type SecretBox } from '../secrets/secret-box.ts';
import { webhookSecretContext } from '../secrets/stored-secrets.ts';
import { sendWebhook, WebhookDeliveryError } from './webhook-sender.ts';

export interface NotificationOptions {
  readonly maxAttempts: number;
  /** First retry delay; it doubles with each failed attempt, up to an hour. */
  readonly retryBaseMs: number;
  readonly timeoutMs: number;
  readonly smtpUrl: string | undefined;
  readonly emailFrom: string;
  /** Deliveries claimed per tenant per run. */
  readonly batch?: number;
  /** Where webhooks may go (NOTIFY_WEBHOOK_ALLOW_NETWORKS), checked again at every call. */
  readonly webhookPolicy: DestinationPolicy;
  /** Name resolution for webhooks; the system's by default. */
  readonly resolve?: Resolve;
  /** Opens the webhook signing secrets, which are stored sealed. */
  readonly secrets: SecretBox;
}

const MAX_RETRY_MS = 3_600_000;

/** A delivery that cannot succeed however often it is tried (no SMTP configured, rule gone): failed at once. */
class PermanentDeliveryError extends Error {}

/** Sends what the outbox holds: claim (committed), send outside any transaction, then record the outcome. */
export class NotificationDispatcher {
  private readonly email: EmailSender | null;
  private readonly outcomes: Counter<'channel' | 'outcome'>;

  constructor(
    private readonly pool: pg.Pool,
    registry: Registry,
    private readonly log: Logger,
    private readonly options: NotificationOptions,
  ) {
    this.email = options.smtpUrl
      ? createEmailSender(options.smtpUrl, options.emailFrom, options.timeoutMs)
      : null;
    this.outcomes = new Counter({
      name: 'alert_notifications_total',
      help: 'Notification delivery attempts by channel and outcome (delivered, retry, failed)',
      labelNames: ['channel', 'outcome'] as const,
      registers: [registry],
    });
  }

  /** Delivers the tenant's due notifications; resolves when each claimed one has an outcome recorded. */
  async deliverDue(tenantId: string): Promise<number> {
    const context = { tenantId, userId: null, role: null };
    // The lease outlasts a send that times out, so no other instance takes a delivery still being tried.
    const leaseS = Math.ceil((this.options.timeoutMs * 2) / 1000) + 5;
    const claimed = await withTenantClient(this.pool, context, (client) =>
      claimDeliveries(client, this.options.batch ?? 20, leaseS),
    );
    await Promise.all(
      claimed.map(async (delivery) => {
        const failure = await this.send(tenantId, delivery).then(
          () => null,
          (reason: unknown) => (reason instanceof Error ? reason : new Error(String(reason))),
        );
        // Users see the generic reason; the log keeps what the socket or resolver said.
        const error = failure?.message ?? null;
        const detail = failure instanceof WebhookDeliveryError ? failure.detail : undefined;
        const maxAttempts =
          failure instanceof PermanentDeliveryError ? delivery.attempts : this.options.maxAttempts;
        await withTenantClient(this.pool, context, async (client) => {
          if (error === null) {
            await markDelivered(client, delivery.id);
            return;
          }
          const retryInMs = Math.min(this.options.retryBaseMs * 2 ** (delivery.attempts - 1), MAX_RETRY_MS);
          await markAttemptFailed(client, delivery.id, error, retryInMs, maxAttempts);
        });
        const outcome = error === null ? 'delivered' : delivery.attempts >= maxAttempts ? 'failed' : 'retry';
        this.outcomes.inc({ channel: delivery.channel, outcome });
        if (error !== null) {
          this.log.warn(
            {
              deliveryId: delivery.id,
              channel: delivery.channel,
              attempt: delivery.attempts,
              outcome,
              error,
              detail,
            },
            'notification not delivered',
          );
        }
      }),
    );
    return claimed.length;
  }

  /** The rule's signing secret; one that no longer opens (changed, or moved from another row) never will. */
  private async webhookSecret(tenantId: string, delivery: Delivery): Promise<string> {
    if (!delivery.secret || !delivery.ruleId)
      throw new PermanentDeliveryError('the notification rule is gone or has no signing secret');
    try {
      const secret = await this.options.secrets.open(
        delivery.secret,
        webhookSecretContext(tenantId, delivery.ruleId),
      );
      return secret.toString('utf8');
    } catch (error) {
      this.log.error(
        { err: error, deliveryId: delivery.id, ruleId: delivery.ruleId },
        'a webhook signing secret does not open',
      );
      const message = 'the rule’s signing secret cannot be read';
      throw error instanceof SecretBoxError && error.kind === 'unknown_key'
        ? new Error(message)
        : new PermanentDeliveryError(message);
    }
  }

  private async send(tenantId: string, delivery: Delivery): Promise<void> {
    if (delivery.channel === 'webhook') {
      const secret = await this.webhookSecret(tenantId, delivery);
      await sendWebhook(
        { url: delivery.target, body: delivery.payload, secret, deliveryId: delivery.id },
        {
          policy: this.options.webhookPolicy,
          timeoutMs: this.options.timeoutMs,
          ...(this.options.resolve ? { resolve: this.options.resolve } : {}),
        },
      );
      return;
    }
    if (!this.email) throw new PermanentDeliveryError('e-mail is not configured on this server (SMTP_URL)');
    const payload = JSON.parse(delivery.payload) as { event: string; alert: Alert };
    await this.email.send(delivery.target, payload);
  }

  close(): void {
    this.email?.close();
  }
}
