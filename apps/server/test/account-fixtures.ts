import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Me, TokenResponse, User } from '@tidewatch/shared';
import { TOTP } from 'otpauth';
import { SMTPServer } from 'smtp-server';
import { eventually } from './realtime-client.ts';
import type { Api } from './harness.ts';

export interface Mail {
  readonly to: string;
  readonly text: string;
}

/** A local SMTP server that keeps every message it receives. */
export class Mailbox {
  private constructor(
    private readonly server: SMTPServer,
    readonly mails: Mail[],
  ) {}

  static async start(): Promise<Mailbox> {
    const mails: Mail[] = [];
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      logger: false,
      onData(stream, session, callback) {
        let text = '';
        stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
        stream.on('end', () => {
          mails.push({ to: session.envelope.rcptTo.map((r) => r.address).join(','), text });
          callback();
        });
      },
    });
    const box = new Mailbox(server, mails);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return box;
  }

  get url(): string {
    return `smtp://127.0.0.1:${String((this.server.server.address() as AddressInfo).port)}`;
  }

  /** Waits for a message to `to` whose text matches `subject` (anywhere in the raw message). */
  waitFor(to: string, subject: RegExp): Promise<Mail> {
    return eventually(
      () => this.mails.find((mail) => mail.to === to && subject.test(mail.text)),
      10_000,
      `a mail to ${to} matching ${String(subject)}`,
    );
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => {
        resolve();
      });
    });
  }
}

/** A password no list has, long enough for the policy. */
export const freshPassword = (): string => `tide ${randomUUID()}`;

/** The code an authenticator app would show now, computed by an independent implementation (otpauth). */
export function authenticatorCode(secret: string, atMs = Date.now()): string {
  return new TOTP({ secret, algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: atMs });
}

/**
 * The code of the next 30-second step: what a phone whose clock runs up to 30 s ahead shows, which the server
 * accepts. A test uses it for "a new code" instead of waiting for the next step.
 */
export const nextStepCode = (secret: string): string => authenticatorCode(secret, Date.now() + 30_000);

export interface NewUser {
  readonly user: User;
  readonly email: string;
  readonly password: string;
}

/** A user an admin created (so with a temporary password), in the admin's tenant. */
export async function createUser(
  api: Api,
  adminToken: string,
  role: User['role'],
  options: { email?: string } = {},
): Promise<NewUser> {
  const email = options.email ?? `acct-${randomUUID().slice(0, 8)}@accounts.example`;
  const password = freshPassword();
  const created = await api.request<User>('POST', '/api/v1/users', {
    token: adminToken,
    body: { email, displayName: `Account ${role}`, role, password },
  });
  if (created.status !== 201) throw new Error(`create user: ${JSON.stringify(created.body)}`);
  return { user: created.body, email, password };
}

/** Signs in with a temporary password and replaces it: a user with a full session and a password of their own. */
export async function signInFirstTime(
  api: Api,
  account: NewUser,
): Promise<{ tokens: TokenResponse; password: string }> {
  const tokens = await api.login(account.email, account.password);
  const password = freshPassword();
  const changed = await api.request<Me>('POST', '/api/v1/me/password', {
    token: tokens.accessToken,
    body: { currentPassword: account.password, newPassword: password },
  });
  if (changed.status !== 200) throw new Error(`change password: ${JSON.stringify(changed.body)}`);
  return { tokens, password };
}
