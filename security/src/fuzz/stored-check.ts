/** Fields a write takes but never shows back (secrets, one-off comments) or shows in another form. */
const NOT_ECHOED = new Set([
  'password',
  'readApiKey',
  'secret',
  'comment',
  'reason',
  'metricKeys',
  'alertIds',
  'addAlertIds',
  'zoneIds',
  'params',
  'attributes',
  'id',
]);

/** Lists the API keeps as sets and shows sorted (tags: "each once, sorted when read"): compared as such. */
const SETS = new Set(['tags']);

interface Geometry {
  readonly type: string;
  readonly coordinates: unknown[];
}

function isGeometry(value: unknown, type: string): value is Geometry {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { type?: unknown }).type === type &&
    Array.isArray((value as { coordinates?: unknown }).coordinates)
  );
}

const isPolygon = (value: unknown): value is Geometry => isGeometry(value, 'Polygon');
const isMultiPolygon = (value: unknown): value is Geometry => isGeometry(value, 'MultiPolygon');

/**
 * UTF-8 cannot carry a lone surrogate (JSON can: "\\ud800"); PostgreSQL stores U+FFFD in its place. Noted in
 * docs/RELIABILITY.md; compared here as stored.
 */
function wellFormed(text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

function keyOf(item: unknown): unknown {
  return typeof item === 'object' && item !== null && 'field' in item ? item.field : undefined;
}

function close(a: number, b: number): boolean {
  return a === b || Math.abs(a - b) <= 1e-7 * Math.max(1, Math.abs(a), Math.abs(b));
}

function sameInstant(a: string, b: string): boolean {
  const [x, y] = [Date.parse(a), Date.parse(b)];
  return !Number.isNaN(x) && x === y;
}

/**
 * Where a resource as the API shows it differs from what was written: every scalar the (schema-normalised)
 * input holds must read back the same wherever the answer has the same field. Wrapped answers
 * (`{ device, secret }`, `{ rule, webhookSecret }`) are compared by their resource.
 */
export function storedMismatches(input: unknown, answer: unknown): string[] {
  let target = answer;
  if (target !== null && typeof target === 'object' && !Array.isArray(target)) {
    const record = target as Record<string, unknown>;
    for (const wrapper of ['device', 'rule']) {
      if (!(wrapper in (input as Record<string, unknown>)) && typeof record[wrapper] === 'object')
        target = record[wrapper];
    }
  }
  const mismatches: string[] = [];
  const walk = (sent: unknown, shown: unknown, path: string): void => {
    // null asks for "none" or the default, which the server may fill in (an incident takes its alert's asset).
    // A referenced row deleted meanwhile reads back as null (ON DELETE SET NULL).
    if (shown === undefined || sent === null || (shown === null && typeof sent === 'string')) return;
    if (isPolygon(sent) && isMultiPolygon(shown)) {
      // Zones are stored as MultiPolygons: a Polygon reads back as the first of one.
      walk(sent.coordinates, shown.coordinates[0], `${path}.coordinates`);
      return;
    }
    if (Array.isArray(sent)) {
      if (!Array.isArray(shown)) return;
      const list = shown as unknown[];
      if (SETS.has(path.slice(path.lastIndexOf('.') + 1))) {
        const shownSorted = list.map(String).sort();
        (sent as unknown[])
          .map(String)
          .sort()
          .forEach((item, i) => {
            walk(item, shownSorted[i], `${path}[${String(i)}]`);
          });
        return;
      }
      sent.forEach((item, i) => {
        // Items with a `field` (ThingSpeak mappings) come back in field order, not in the order sent.
        const key = keyOf(item);
        const match = key === undefined ? list[i] : list.find((candidate) => keyOf(candidate) === key);
        walk(item, match, `${path}[${String(i)}]`);
      });
      return;
    }
    if (typeof sent === 'object') {
      if (shown === null || typeof shown !== 'object') return;
      for (const [key, value] of Object.entries(sent)) {
        if (NOT_ECHOED.has(key)) continue;
        walk(value, (shown as Record<string, unknown>)[key], path === '' ? key : `${path}.${key}`);
      }
      return;
    }
    const same =
      sent === shown ||
      (typeof sent === 'number' && typeof shown === 'number' && close(sent, shown)) ||
      (typeof sent === 'string' &&
        typeof shown === 'string' &&
        (sent.toLowerCase() === shown.toLowerCase() ||
          sameInstant(sent, shown) ||
          wellFormed(sent) === shown));
    if (!same)
      mismatches.push(
        `${path}: sent ${JSON.stringify(sent).slice(0, 60)}, shown ${JSON.stringify(shown).slice(0, 60)}`,
      );
  };
  walk(input, target, '');
  return mismatches;
}
