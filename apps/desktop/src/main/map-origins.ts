import { mapOriginsSchema } from '@tidewatch/shared';

/** How long an answer stands before the server is asked again, and how long an answer may take. */
const FRESH_MS = 60_000;
const TIMEOUT_MS = 2000;

interface Known {
  readonly server: string;
  readonly origins: readonly string[];
  readonly at: number;
}

/**
 * The origins the chosen server's map loads from (its public `GET /api/v1/map/origins`), so that each page the app
 * serves may reach the tile server before anyone signs in: the map window gets a policy that names them. Asked at
 * most once a minute per server; when the server cannot say, the last answer stands (at first none, and the map
 * draws its offline basemap). Each origin is parsed again here, so nothing but an origin enters the policy.
 */
export class MapOrigins {
  private known: Known | null = null;
  private pending: { readonly server: string; readonly answer: Promise<readonly string[]> } | null = null;

  constructor(
    private readonly fetch: (url: string, init: RequestInit) => Promise<Response>,
    private readonly log: { warn(message: string): void },
    private readonly now: () => number = Date.now,
  ) {}

  of(serverUrl: string | null): Promise<readonly string[]> {
    if (!serverUrl) return Promise.resolve([]);
    const known = this.known?.server === serverUrl ? this.known : null;
    if (known && this.now() - known.at < FRESH_MS) return Promise.resolve(known.origins);
    if (this.pending?.server === serverUrl) return this.pending.answer;
    const answer = this.ask(serverUrl, known?.origins ?? []).finally(() => {
      this.pending = null;
    });
    this.pending = { server: serverUrl, answer };
    return answer;
  }

  private async ask(serverUrl: string, fallback: readonly string[]): Promise<readonly string[]> {
    let origins = fallback;
    try {
      const response = await this.fetch(new URL('/api/v1/map/origins', serverUrl).toString(), {
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      if (!response.ok) throw new Error(`HTTP ${String(response.status)}`);
      origins = mapOriginsSchema.parse(await response.json()).origins.map((origin) => new URL(origin).origin);
    } catch (error) {
      this.log.warn(`The map's origins could not be read from ${serverUrl}: ${String(error)}`);
    }
    // A failed answer is remembered as long as a good one: a server that is down costs one wait a minute.
    this.known = { server: serverUrl, origins, at: this.now() };
    return origins;
  }
}
