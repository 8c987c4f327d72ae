import type { MapPaint } from './map-paint.ts';

/**
 * `make` run once per object: deck.gl compares data props by identity, so what is derived from the same data
 * must be the same object on every render, or it re-uploads the buffers.
 */
export function oncePer<K extends object, V>(make: (key: K) => V): (key: K) => V {
  const made = new WeakMap<K, V>();
  return (key) => {
    const cached = made.get(key);
    if (cached !== undefined) return cached;
    const value = make(key);
    made.set(key, value);
    return value;
  };
}

/**
 * A cache of what is derived from one paint of the map by a key (a zoom level, a diameter tier): made once per
 * paint and key, dropped with the paint when the alert feed moves on.
 */
export function perPaint<K, V>(make: (paint: MapPaint, key: K) => V): (paint: MapPaint, key: K) => V {
  const byPaint = oncePer((_paint: MapPaint) => new Map<K, V>());
  return (paint, key) => {
    const byKey = byPaint(paint);
    const cached = byKey.get(key);
    if (cached !== undefined) return cached;
    const made = make(paint, key);
    byKey.set(key, made);
    return made;
  };
}
