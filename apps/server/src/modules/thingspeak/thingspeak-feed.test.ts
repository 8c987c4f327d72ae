import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FeedFormatError, parseChannelFeed } from './thingspeak-feed.ts';

const fixture = readFileSync(
  path.resolve(import.meta.dirname, '../../../test/fixtures/thingspeak/channel-feed.json'),
  'utf8',
);

describe('parseChannelFeed', () => {
  it('reads the fixture: 60 entries in order, times as epoch ms, fields as sent', () => {
    const feed = parseChannelFeed(fixture, 2417893);

    expect(feed.entries).toHaveLength(60);
    expect(feed.malformedEntries).toBe(0);
    expect(feed.entries[0]).toEqual({
      entryId: 4120,
      createdAt: Date.parse('2026-11-20T06:00:00Z'),
      fields: {
        1: '180.0',
        2: '24.65',
        3: '306',
        4: '3.900',
        5: undefined,
        6: undefined,
        7: undefined,
        8: undefined,
      },
    });
    expect(feed.entries.find((e) => e.entryId === 4137)?.fields[3]).toBeNull();
  });

  it.each([
    ['HTML', '<!DOCTYPE html><html><body>Bad gateway</body></html>', /not JSON \(an HTML page\)/],
    ['truncated JSON', fixture.slice(0, 500), /not JSON/],
    ['an empty body', '', /not JSON \(empty body\)/],
    ['the "-1" of a refused key', '-1', /not a channel feed/],
    ['an object without feeds', '{"channel":{"id":2417893}}', /feeds/],
    ['feeds that are not a list', '{"channel":{"id":2417893},"feeds":"none"}', /feeds/],
    ['another channel', '{"channel":{"id":7},"feeds":[]}', /channel 7/],
  ])('refuses %s with a FeedFormatError', (_name, body, message) => {
    expect(() => parseChannelFeed(body, 2417893)).toThrow(FeedFormatError);
    expect(() => parseChannelFeed(body, 2417893)).toThrow(message);
  });

  it('skips and counts single entries without a usable id or time, and sorts the rest', () => {
    const body = JSON.stringify({
      channel: { id: 5 },
      feeds: [
        { created_at: '2026-11-20T06:02:00Z', entry_id: 3, field1: '1' },
        { created_at: 'yesterday', entry_id: 4, field1: '1' },
        { created_at: '2026-11-20T06:01:00Z', entry_id: 'two', field1: '1' },
        null,
        { created_at: '2026-11-20T11:30:00+05:30', entry_id: 1, field1: 2 },
      ],
    });

    const feed = parseChannelFeed(body, 5);

    expect(feed.malformedEntries).toBe(3);
    expect(feed.entries.map((e) => [e.entryId, e.createdAt])).toEqual([
      [1, Date.parse('2026-11-20T06:00:00Z')],
      [3, Date.parse('2026-11-20T06:02:00Z')],
    ]);
  });
});
