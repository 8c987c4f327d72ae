import { z } from 'zod';

/** One entry of a channel: its id, its time, and field1..field8 as ThingSpeak sent them (strings, or null). */
export interface FeedEntry {
  readonly entryId: number;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  readonly fields: Readonly<Record<number, unknown>>;
}

export interface ChannelFeed {
  readonly channelId: number;
  /** Valid entries, oldest first. */
  readonly entries: readonly FeedEntry[];
  /** Entries in the answer that were not usable (no id, no valid time) and are left out. */
  readonly malformedEntries: number;
}

/** The answer was not a feed of the channel asked for: not JSON, HTML, cut short, or of another shape. */
export class FeedFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FeedFormatError';
  }
}

const feedSchema = z.object({
  channel: z.object({ id: z.number().int().positive() }),
  feeds: z.array(z.unknown()),
});

const entrySchema = z.object({
  entry_id: z.number().int().positive(),
  created_at: z.iso.datetime({ offset: true }),
});

const FIELD_NUMBERS = [1, 2, 3, 4, 5, 6, 7, 8] as const;

/**
 * Reads the body of `GET /channels/{id}/feeds.json`. The whole answer must be a feed of `channelId`; single
 * entries that are unusable are counted and skipped, so one bad entry cannot stall a channel for good.
 */
export function parseChannelFeed(body: string, channelId: number): ChannelFeed {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new FeedFormatError(`the answer is not JSON (${describeStart(body)})`);
  }
  const feed = feedSchema.safeParse(json);
  if (!feed.success) {
    const issue = feed.error.issues[0];
    const where = issue?.path.join('.') ?? '';
    throw new FeedFormatError(
      `the answer is not a channel feed (${where ? `${where}: ` : ''}${issue?.message ?? 'invalid'})`,
    );
  }
  if (feed.data.channel.id !== channelId)
    throw new FeedFormatError(`the answer is the feed of channel ${String(feed.data.channel.id)}`);

  const entries: FeedEntry[] = [];
  let malformedEntries = 0;
  for (const raw of feed.data.feeds) {
    const entry = entrySchema.safeParse(raw);
    if (!entry.success) {
      malformedEntries += 1;
      continue;
    }
    const source = raw as Record<string, unknown>;
    const fields: Record<number, unknown> = {};
    for (const number of FIELD_NUMBERS) fields[number] = source[`field${String(number)}`];
    entries.push({
      entryId: entry.data.entry_id,
      createdAt: Date.parse(entry.data.created_at),
      fields,
    });
  }
  entries.sort((a, b) => a.entryId - b.entryId);
  return { channelId, entries, malformedEntries };
}

/** A hint of what came back instead, for the binding's last error; never the whole body. */
function describeStart(body: string): string {
  const start = body.trimStart().slice(0, 40).replace(/\s+/g, ' ');
  if (start === '') return 'empty body';
  return /^<(!doctype|html)/i.test(start) ? 'an HTML page' : `starts with "${start}"`;
}
