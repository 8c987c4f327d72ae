import type { MapPaint } from './map-paint.ts';

/**
 * A cache of what is derived from one paint of the map by a key (a zoom level, a diameter tier): made once per
 * paint and key, dropped with the paint when the alert feed moves on.
 */
export function perPaint<K, V>(make: (paint: MapPaint, key: K) => V): (paint: MapPaint, key: K) => V {
  const byPaint = new WeakMap<MapPaint, Map<K, V>>();
  return (paint, key) => {
    let byKey = byPaint.get(paint);
    if (!byKey) {
      byKey = new Map();
      byPaint.set(paint, byKey);
    }
    const cached = byKey.get(key);
    if (cached !== undefined) return cached;
    const made = make(paint, key);
    byKey.set(key, made);
    return made;
  };
}
