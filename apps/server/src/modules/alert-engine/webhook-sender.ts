import { createHmac } from 'node:crypto';

/**
 * The signature header of a webhook call: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. The time in the
 * signed text lets a receiver refuse replays of old calls.
 * @example signWebhook('secret', '{"event":"alert.raised"}', 1_700_000_000)
 */
export function signWebhook(secret: string, body: string, unixSeconds: number): string {
  const t = String(unixSeconds);
  const mac = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${mac}`;
}

/** Posts one signed notification; throws with a short reason when the receiver does not answer 2xx in time. */
export async function sendWebhook(
  url: string,
  body: string,
  secret: string,
  deliveryId: string,
  timeoutMs: number,
): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'Tidewatch-Webhook/1',
      'x-tidewatch-delivery': deliveryId,
      'x-tidewatch-signature': signWebhook(secret, body, Math.floor(Date.now() / 1000)),
    },
    body,
    redirect: 'error',
    signal: AbortSignal.timeout(timeoutMs),
  });
  // The body is not needed; reading it frees the connection.
  await response.arrayBuffer().catch(() => undefined);
  if (!response.ok) throw new Error(`the receiver answered HTTP ${String(response.status)}`);
}
