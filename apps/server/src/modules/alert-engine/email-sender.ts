import type { Alert } from '@tidewatch/shared';
import nodemailer from 'nodemailer';

export interface EmailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  /** Files sent with it (a report's PDF). */
  readonly attachments?: readonly { filename: string; content: Buffer; contentType: string }[];
}

export interface EmailSender {
  send(to: string, payload: { event: string; alert: Alert }): Promise<void>;
  /** Any plain-text message (account notices). */
  sendMessage(message: EmailMessage): Promise<void>;
  close(): void;
}

/** E-mail over SMTP; one pooled transport per server. */
export function createEmailSender(smtpUrl: string, from: string, timeoutMs: number): EmailSender {
  const transport = nodemailer.createTransport({
    url: smtpUrl,
    pool: true,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  const sendMessage = async (message: EmailMessage): Promise<void> => {
    await transport.sendMail({
      from,
      ...message,
      attachments: message.attachments ? [...message.attachments] : [],
    });
  };
  return {
    sendMessage,
    async send(to, { event, alert }) {
      const what = event === 'alert.escalated' ? 'ESCALATED' : alert.priority.toUpperCase();
      await sendMessage({
        to,
        subject: `[${what}] ${alert.message}`,
        text: [
          alert.message,
          '',
          `Rule: ${alert.ruleName}`,
          `Priority: ${alert.priority}`,
          `State: ${alert.state}`,
          `Raised: ${alert.raisedAt}`,
          `Value: ${alert.raisedValue === null ? 'none' : String(alert.raisedValue)}`,
          `Alert id: ${alert.id}`,
        ].join('\n'),
      });
    },
    close() {
      transport.close();
    },
  };
}
