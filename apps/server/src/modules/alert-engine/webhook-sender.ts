import { createHmac } from 'node:crypto';
import type { LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import {
  checkDestination,
  DestinationNotFound,
  DestinationRefused,
  hostOf,
  pinnedLookup,
  systemResolve,
  type DestinationPolicy,
  type Resolve,
} from '../outbound/destination-guard.ts';

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

export interface WebhookCall {
  readonly url: string;
  /** The JSON text sent (and signed) as is. */
  readonly body: string;
  readonly secret: string;
  readonly deliveryId: string;
}

export interface WebhookTransport {
  readonly policy: DestinationPolicy;
  /** For the whole call: resolving, connecting, TLS and the answer's status line and headers. */
  readonly timeoutMs: number;
  readonly resolve?: Resolve;
}

/**
 * A webhook call that did not succeed. `message` is one of a few generic reasons ("destination refused",
 * "timeout", "HTTP 500"...) that users may see; `detail` (the socket's or resolver's own error, which would map
 * the network behind the server) is for the server's log only.
 */
export class WebhookDeliveryError extends Error {
  constructor(
    message: string,
    readonly detail: string,
  ) {
    super(message);
    this.name = 'WebhookDeliveryError';
  }
}

const TLS_CODE = /^(EPROTO$|ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH)/;

function generic(error: unknown, timedOut: boolean): WebhookDeliveryError {
  if (error instanceof WebhookDeliveryError) return error;
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  if (timedOut) return new WebhookDeliveryError('timeout', detail);
  if (error instanceof DestinationRefused) return new WebhookDeliveryError('destination refused', detail);
  if (error instanceof DestinationNotFound) return new WebhookDeliveryError('destination not found', detail);
  const code = (error as { code?: unknown } | null)?.code;
  const text = typeof code === 'string' ? code : '';
  if (TLS_CODE.test(text)) return new WebhookDeliveryError('TLS failure', detail);
  if (text.startsWith('HPE_')) return new WebhookDeliveryError('invalid response', detail);
  return new WebhookDeliveryError('connection failed', detail);
}

/** Posts to the checked addresses and answers the status; the response body is never read. */
function post(url: URL, addresses: readonly LookupAddress[], call: WebhookCall, signal: AbortSignal) {
  return new Promise<number>((resolve, reject) => {
    const request = (url.protocol === 'https:' ? https : http).request(
      {
        protocol: url.protocol,
        hostname: hostOf(url),
        port: url.port === '' ? undefined : Number(url.port),
        path: `${url.pathname}${url.search}`,
        auth: url.username
          ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`
          : undefined,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(call.body),
          'user-agent': 'Tidewatch-Webhook/1',
          'x-tidewatch-delivery': call.deliveryId,
          'x-tidewatch-signature': signWebhook(call.secret, call.body, Math.floor(Date.now() / 1000)),
        },
        // One connection per call, to the addresses checked, so nothing is reused past its check.
        agent: false,
        lookup: pinnedLookup(addresses),
        signal,
      },
      (response) => {
        resolve(response.statusCode ?? 0);
        // Only the status matters: whatever the receiver sends after it (an endless body) is never buffered.
        response.destroy();
      },
    );
    request.on('error', reject);
    request.end(call.body);
  });
}

/**
 * Posts one signed notification to a destination the policy allows, checked again now (names resolved here and
 * connected to at the checked addresses). Redirects are not followed. Throws a WebhookDeliveryError unless the
 * receiver answers 2xx within the timeout.
 */
export async function sendWebhook(call: WebhookCall, transport: WebhookTransport): Promise<void> {
  const controller = new AbortController();
  const timer = setTimeout(() => {
    controller.abort();
  }, transport.timeoutMs);
  try {
    const url = new URL(call.url);
    const resolving = checkDestination(url, transport.policy, transport.resolve ?? systemResolve);
    const aborted = new Promise<never>((_resolve, reject) => {
      controller.signal.addEventListener('abort', () => {
        reject(new Error('resolving the destination took too long'));
      });
    });
    const addresses = await Promise.race([resolving, aborted]);
    const status = await post(url, addresses, call, controller.signal);
    if (status >= 300 && status < 400)
      throw new WebhookDeliveryError(`HTTP ${String(status)} (redirects are not followed)`, 'redirect');
    if (status < 200 || status >= 300) throw new WebhookDeliveryError(`HTTP ${String(status)}`, 'status');
  } catch (error) {
    throw generic(error, controller.signal.aborted);
  } finally {
    clearTimeout(timer);
  }
}
