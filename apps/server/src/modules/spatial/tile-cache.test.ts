import { describe, expect, it } from 'vitest';
import { TileCache } from './tile-cache.ts';

const tile = (bytes: number): Buffer => Buffer.alloc(bytes, 1);

describe('the tile cache', () => {
  it('keeps at most maxEntries tiles, dropping the least recently used', () => {
    const cache = new TileCache({ maxEntries: 2, maxBytes: 1000 });
    cache.set('a', tile(10));
    cache.set('b', tile(10));
    cache.get('a');
    cache.set('c', tile(10));

    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    expect(cache.get('c')).toBeDefined();
    expect(cache.size).toEqual({ entries: 2, bytes: 20 });
  });

  it('keeps at most maxBytes, and never a tile larger than that', () => {
    const cache = new TileCache({ maxEntries: 100, maxBytes: 100 });
    cache.set('a', tile(40));
    cache.set('b', tile(40));
    cache.set('c', tile(40));
    cache.set('huge', tile(101));

    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('huge')).toBeUndefined();
    expect(cache.size).toEqual({ entries: 2, bytes: 80 });
  });

  it('counts a replaced entry once', () => {
    const cache = new TileCache({ maxEntries: 10, maxBytes: 100 });
    cache.set('a', tile(30));
    cache.set('a', tile(50));

    expect(cache.size).toEqual({ entries: 1, bytes: 50 });
  });
});
