import { describe, expect, it } from 'vitest';
import { HotListCache } from './hot-list-cache.ts';

describe('HotListCache', () => {
  it('evicts the least recently used entry past the entry bound', () => {
    const cache = new HotListCache({ maxEntries: 2, maxBytes: 1_000_000 });
    cache.set('a', '1', '[1]');
    cache.set('b', '1', '[2]');
    cache.get('a');
    cache.set('c', '1', '[3]');

    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')?.body.toString()).toBe('[1]');
    expect(cache.size).toBe(2);
  });

  it('stays within its byte bound and keeps no page larger than the bound', () => {
    const cache = new HotListCache({ maxEntries: 100, maxBytes: 2_000 });
    for (let i = 0; i < 20; i += 1) cache.set(`k${String(i)}`, '1', 'x'.repeat(300));
    expect(cache.totalBytes).toBeLessThanOrEqual(2_000);
    expect(cache.size).toBeGreaterThan(0);

    const huge = cache.set('huge', '1', 'y'.repeat(5_000));
    expect(huge.body.length).toBe(5_000);
    expect(cache.get('huge')).toBeUndefined();
  });

  it('gives a body-derived ETag, the same for the same body', () => {
    const cache = new HotListCache();
    const first = cache.set('a', '1', '{"items":[]}');
    const second = cache.set('b', '2', '{"items":[]}');
    expect(first.etag).toBe(second.etag);
    expect(cache.set('a', '3', '{"items":[1]}').etag).not.toBe(first.etag);
    expect(cache.totalBytes).toBeGreaterThan(0);
  });
});
