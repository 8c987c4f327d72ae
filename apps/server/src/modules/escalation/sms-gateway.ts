/**
 * An HTTP SMS gateway, configured once for the installation (SMS_GATEWAY_*):
 * - `generic`: a POST of a JSON body made from a template, `{{to}}`, `{{from}}` and `{{body}}` replaced by the
 *   JSON-escaped values (default `{"to":"{{to}}","from":"{{from}}","text":"{{body}}"}`), with basic auth when a
 *   user name is set;
 * - `twilio`: Twilio's Messages API form (`To`, `From`, `Body`, form-encoded) with the account SID and auth token
 *   as basic auth, to `https://api.twilio.com/2010-04-01/Accounts/<SID>/Messages.json` or any compatible server.
 * A 2xx answer is delivered (the gateway's message id kept when it names one: `sid`, `id`, `messageId`); 429,
 * 5xx and network failures are retried; other 4xx answers are failures no retry would mend.
 */
export interface SmsGatewayConfig {
  readonly url: string;
  readonly format: 'generic' | 'twilio';
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly from: string;
  readonly template: string | undefined;
  readonly timeoutMs: number;
}

export type SmsOutcome =
  | { readonly ok: true; readonly providerId: string | null }
  | { readonly ok: false; readonly retry: boolean; readonly error: string };

export const DEFAULT_SMS_TEMPLATE = '{"to":"{{to}}","from":"{{from}}","text":"{{body}}"}';

/** The template with each placeholder replaced by its value as the inside of a JSON string. */
export function renderTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{\{(to|from|body)\}\}/g, (_match, key: string) =>
    JSON.stringify(values[key] ?? '').slice(1, -1),
  );
}

function request(config: SmsGatewayConfig, to: string, body: string): RequestInit {
  const headers: Record<string, string> = {};
  if (config.username !== undefined)
    headers.authorization = `Basic ${Buffer.from(`${config.username}:${config.password ?? ''}`).toString('base64')}`;
  if (config.format === 'twilio') {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    return {
      method: 'POST',
      headers,
      body: new URLSearchParams({ To: to, From: config.from, Body: body }).toString(),
    };
  }
  headers['content-type'] = 'application/json';
  return {
    method: 'POST',
    headers,
    body: renderTemplate(config.template ?? DEFAULT_SMS_TEMPLATE, { to, from: config.from, body }),
  };
}

function providerIdOf(text: string): string | null {
  try {
    const json = JSON.parse(text) as Record<string, unknown>;
    for (const key of ['sid', 'id', 'messageId']) {
      const value = json[key];
      if (typeof value === 'string' || typeof value === 'number') return String(value).slice(0, 200);
    }
  } catch {
    // A gateway answering plain text: delivered all the same.
  }
  return null;
}

export async function sendSms(config: SmsGatewayConfig, to: string, body: string): Promise<SmsOutcome> {
  try {
    const response = await fetch(config.url, {
      ...request(config, to, body),
      redirect: 'error',
      signal: AbortSignal.timeout(config.timeoutMs),
    });
    const text = (await response.text()).slice(0, 10_000);
    if (response.ok) return { ok: true, providerId: providerIdOf(text) };
    const retry = response.status === 429 || response.status >= 500;
    return { ok: false, retry, error: `gateway answered ${String(response.status)}: ${text.slice(0, 300)}` };
  } catch (error) {
    return { ok: false, retry: true, error: error instanceof Error ? error.message : String(error) };
  }
}
