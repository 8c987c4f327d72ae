import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import path from 'node:path';

/** An entry as ThingSpeak sends it. */
export interface FeedEntryJson {
  readonly created_at: string;
  readonly entry_id: number;
  readonly [field: `field${number}`]: string | null | undefined;
}

interface FixtureFeed {
  readonly channel: Record<string, unknown>;
  readonly feeds: FeedEntryJson[];
}

/** What a channel answers: its feed, a status, a body of our choosing, nothing at all, or its feed late. */
export type ChannelBehaviour =
  | { readonly kind: 'feed' }
  | { readonly kind: 'status'; readonly status: number; readonly headers?: Record<string, string> }
  | { readonly kind: 'body'; readonly body: string }
  | { readonly kind: 'hang' }
  | { readonly kind: 'slow'; readonly delayMs: number };

export interface RecordedRequest {
  readonly channelId: number;
  readonly query: URLSearchParams;
  readonly at: number;
}

const fixture = JSON.parse(
  readFileSync(path.resolve(import.meta.dirname, 'fixtures/thingspeak/channel-feed.json'), 'utf8'),
) as FixtureFeed;

/** The fixture's 60 entries moved in time so that the last one was created at `lastAt` (whole seconds). */
export function fixtureEntries(lastAt: number): FeedEntryJson[] {
  const last = fixture.feeds.at(-1);
  if (!last) throw new Error('empty fixture');
  const shift = Math.floor(lastAt / 1000) * 1000 - Date.parse(last.created_at);
  return fixture.feeds.map((entry) => ({
    ...entry,
    created_at: new Date(Date.parse(entry.created_at) + shift).toISOString().replace('.000Z', 'Z'),
  }));
}

/** ThingSpeak's `start` format, read as UTC as the poller asks with timezone=Etc/UTC. */
function parseStart(text: string): number {
  return Date.parse(`${text.replace(' ', 'T')}Z`);
}

/**
 * A local stand-in for the ThingSpeak read API: `GET /channels/{id}/feeds.json` with `results` (the newest N)
 * and `start`, per channel a behaviour to misbehave with, and every request recorded.
 */
export class FakeThingSpeak {
  readonly requests: RecordedRequest[] = [];
  private readonly feeds = new Map<number, FeedEntryJson[]>();
  private readonly behaviours = new Map<number, ChannelBehaviour>();

  private readonly server: Server = createServer((req, res) => {
    this.handle(req, res);
  });
  private port = 0;

  static async start(): Promise<FakeThingSpeak> {
    const fake = new FakeThingSpeak();
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    const address = fake.server.address();
    fake.port = typeof address === 'object' && address ? address.port : 0;
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${String(this.port)}`;
  }

  setFeed(channelId: number, entries: FeedEntryJson[]): void {
    this.feeds.set(channelId, [...entries]);
  }

  append(channelId: number, entries: FeedEntryJson[]): void {
    this.feeds.set(channelId, [...(this.feeds.get(channelId) ?? []), ...entries]);
  }

  behave(channelId: number, behaviour: ChannelBehaviour): void {
    this.behaviours.set(channelId, behaviour);
  }

  requestsFor(channelId: number): RecordedRequest[] {
    return this.requests.filter((r) => r.channelId === channelId);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const match = /^\/channels\/(\d+)\/feeds\.json$/.exec(url.pathname);
    if (req.method !== 'GET' || !match) {
      res.writeHead(404).end('Not found');
      return;
    }
    const channelId = Number(match[1]);
    this.requests.push({ channelId, query: url.searchParams, at: Date.now() });
    const behaviour = this.behaviours.get(channelId) ?? { kind: 'feed' };
    switch (behaviour.kind) {
      case 'hang':
        return;
      case 'status':
        res.writeHead(behaviour.status, behaviour.headers).end('Internal Server Error');
        return;
      case 'body':
        res.writeHead(200, { 'content-type': 'text/html' }).end(behaviour.body);
        return;
      case 'slow':
        setTimeout(() => {
          this.sendFeed(channelId, url.searchParams, res);
        }, behaviour.delayMs);
        return;
      case 'feed':
        this.sendFeed(channelId, url.searchParams, res);
    }
  }

  private sendFeed(channelId: number, query: URLSearchParams, res: ServerResponse): void {
    const all = this.feeds.get(channelId) ?? [];
    const start = query.get('start');
    const since = start === null ? Number.NEGATIVE_INFINITY : parseStart(start);
    const results = Math.min(8000, Number(query.get('results') ?? 100));
    // An entry whose time does not parse is sent anyway: the poller must cope with it.
    const feeds = all.filter((entry) => !(Date.parse(entry.created_at) < since)).slice(-results);
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(
      JSON.stringify({
        channel: { ...fixture.channel, id: channelId, last_entry_id: all.at(-1)?.entry_id ?? null },
        feeds,
      }),
    );
  }
}
