import { FeedFormatError, parseChannelFeed, type ChannelFeed } from './thingspeak-feed.ts';

/** How a read failed: the label of the poll outcome metric, and what the binding's last error says. */
export type ReadFailureKind = 'timeout' | 'network' | 'http_status' | 'bad_body';

export class ChannelReadError extends Error {
  constructor(
    readonly kind: ReadFailureKind,
    message: string,
    /** What the server asked for with Retry-After (429, 503), if anything. */
    readonly retryAfterMs: number | null = null,
    /** The HTTP status of an `http_status` failure. */
    readonly status: number | null = null,
  ) {
    super(message);
    this.name = 'ChannelReadError';
  }
}

export interface FeedRequest {
  readonly channelId: number;
  readonly readKey: string | null;
  /** Only entries created at or after this time (epoch ms); null: the newest `results` entries. */
  readonly since: number | null;
  readonly results: number;
}

export interface ThingSpeakClientOptions {
  readonly baseUrl: string;
  /** For the whole exchange, body included. */
  readonly timeoutMs: number;
  readonly maxBodyBytes?: number;
}

/** 8,000 entries of eight fields stay far below this; more is not a feed. */
const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

/** Reads channel feeds over HTTP. Every failure is a ChannelReadError; the read key never appears in one. */
export class ThingSpeakClient {
  private readonly base: string;

  constructor(private readonly options: ThingSpeakClientOptions) {
    this.base = options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`;
  }

  feedUrl(request: FeedRequest): URL {
    const url = new URL(`channels/${String(request.channelId)}/feeds.json`, this.base);
    if (request.readKey !== null) url.searchParams.set('api_key', request.readKey);
    url.searchParams.set('results', String(request.results));
    if (request.since !== null) {
      // ThingSpeak's format, read in the time zone named beside it; whole seconds, so the last entry comes again.
      url.searchParams.set('start', new Date(request.since).toISOString().slice(0, 19).replace('T', ' '));
      url.searchParams.set('timezone', 'Etc/UTC');
    }
    return url;
  }

  async readFeed(request: FeedRequest): Promise<ChannelFeed> {
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    try {
      const response = await fetch(this.feedUrl(request), {
        headers: { accept: 'application/json' },
        signal,
      });
      if (!response.ok) {
        await response.body?.cancel().catch(() => undefined);
        throw new ChannelReadError(
          'http_status',
          `HTTP ${String(response.status)}`,
          retryAfterMs(response.headers.get('retry-after')),
          response.status,
        );
      }
      const body = await readText(response, this.options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
      return parseChannelFeed(body, request.channelId);
    } catch (error) {
      throw asReadError(error, signal, this.options.timeoutMs);
    }
  }
}

async function readText(response: Response, maxBytes: number): Promise<string> {
  if (!response.body) return '';
  // fetch types its body loosely; undici always streams bytes.
  const reader = response.body.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new ChannelReadError('bad_body', `the answer is larger than ${String(maxBytes)} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function asReadError(error: unknown, signal: AbortSignal, timeoutMs: number): ChannelReadError {
  if (error instanceof ChannelReadError) return error;
  if (error instanceof FeedFormatError) return new ChannelReadError('bad_body', error.message);
  if (signal.aborted)
    return new ChannelReadError('timeout', `no complete answer within ${String(timeoutMs)} ms`);
  // fetch reports "fetch failed" and keeps the reason (ECONNREFUSED, a reset, a TLS error) as its cause.
  const cause =
    error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  const reason =
    typeof cause?.code === 'string'
      ? cause.code
      : typeof cause?.message === 'string'
        ? cause.message
        : error instanceof Error
          ? error.message
          : String(error);
  return new ChannelReadError('network', `request failed: ${reason}`);
}

/** Retry-After as seconds or an HTTP date, bounded to a day so a bad header cannot park a channel for good. */
function retryAfterMs(header: string | null): number | null {
  if (header === null) return null;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, 86_400_000) : null;
}
