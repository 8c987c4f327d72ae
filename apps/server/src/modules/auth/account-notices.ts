import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../../logger.ts';
import type { EmailSender } from '../alert-engine/email-sender.ts';

export type AccountNoticeKind =
  | 'new_sign_in'
  | 'password_changed'
  | 'password_set_by_admin'
  | 'totp_enabled'
  | 'totp_disabled'
  | 'totp_reset_by_admin'
  | 'recovery_code_used'
  | 'recovery_codes_replaced';

export interface NoticeRecipient {
  readonly email: string;
  readonly displayName: string;
}

export interface NoticeContext {
  readonly ip: string | null;
  readonly userAgent: string | null;
  /** Recovery codes left, for `recovery_code_used`. */
  readonly codesLeft?: number;
}

const subjects: Record<AccountNoticeKind, string> = {
  new_sign_in: 'New sign-in to your Tidewatch account',
  password_changed: 'Your Tidewatch password was changed',
  password_set_by_admin: 'An administrator set a temporary password for your Tidewatch account',
  totp_enabled: 'Two-step verification was turned on for your Tidewatch account',
  totp_disabled: 'Two-step verification was turned off for your Tidewatch account',
  totp_reset_by_admin: 'An administrator removed the two-step verification of your Tidewatch account',
  recovery_code_used: 'A recovery code was used to sign in to your Tidewatch account',
  recovery_codes_replaced: 'New recovery codes were made for your Tidewatch account',
};

const leads: Record<AccountNoticeKind, string> = {
  new_sign_in:
    'Your password was used to sign in from an address this account has not signed in from before.',
  password_changed: 'The password of your account was changed. Your other sessions were signed out.',
  password_set_by_admin:
    'An administrator set a temporary password for your account and signed out its sessions. You will choose ' +
    'your own password at the next sign-in.',
  totp_enabled: 'Two-step verification with an authenticator app is now required to sign in to your account.',
  totp_disabled: 'Two-step verification was turned off: your password alone now signs in to your account.',
  totp_reset_by_admin:
    'An administrator removed the authenticator app from your account and signed out its sessions.',
  recovery_code_used: 'A one-time recovery code was used instead of your authenticator app to sign in.',
  recovery_codes_replaced: 'New recovery codes were made; the previous ones no longer work.',
};

/**
 * E-mails a user after something changed how their account signs in, so that a change they did not make does not
 * go unnoticed. Sent after the change is committed, through the server's e-mail sender (SMTP_URL); without one,
 * notices are counted and logged as not sent. A failed send is logged and counted, never retried: the change
 * itself stands and is in the audit log.
 */
export class AccountNotices {
  private readonly outcomes: Counter<'kind' | 'outcome'>;
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly sender: EmailSender | null,
    registry: Registry,
    private readonly log: Logger,
  ) {
    this.outcomes = new Counter({
      name: 'account_notices_total',
      help: 'Account security e-mails by kind and outcome (sent, failed, not_configured)',
      labelNames: ['kind', 'outcome'] as const,
      registers: [registry],
    });
  }

  send(to: NoticeRecipient, kind: AccountNoticeKind, context: NoticeContext): void {
    if (!this.sender) {
      this.outcomes.inc({ kind, outcome: 'not_configured' });
      return;
    }
    const lines = [
      `Hello ${to.displayName},`,
      '',
      leads[kind],
      ...(context.codesLeft === undefined ? [] : [`Recovery codes left: ${String(context.codesLeft)}.`]),
      '',
      `When: ${new Date().toISOString()}`,
      `From address: ${context.ip ?? 'unknown'}`,
      `Device: ${context.userAgent ?? 'unknown'}`,
      '',
      'If this was not you, sign in and change your password, end your other sessions, and tell your ' +
        'administrator.',
    ];
    const sending = this.sender
      .sendMessage({ to: to.email, subject: subjects[kind], text: lines.join('\n') })
      .then(
        () => {
          this.outcomes.inc({ kind, outcome: 'sent' });
        },
        (error: unknown) => {
          this.outcomes.inc({ kind, outcome: 'failed' });
          this.log.warn({ err: error, kind }, 'account notice not sent');
        },
      )
      .finally(() => this.pending.delete(sending));
    this.pending.add(sending);
  }

  /** Waits for notices being sent (shutdown), then closes the sender. */
  async close(): Promise<void> {
    await Promise.all(this.pending);
    this.sender?.close();
  }
}
