import type { Random } from '../random.ts';

/** Strings aimed at SQL, JSON path, template and header handling. */
export const INJECTION_STRINGS: readonly string[] = [
  "' OR '1'='1",
  "'; DROP TABLE users; --",
  '" OR ""="',
  '1; SELECT pg_sleep(10) --',
  "' UNION SELECT password_hash FROM users --",
  '$1',
  "%' AND 1=1 --",
  '\\',
  "\\'; --",
  '$.store.book[*].author',
  '$..*',
  "@.role == 'super_admin'",
  '{"$gt": ""}',
  '{{7*7}}',
  '${7*7}',
  '<script>alert(1)</script>',
  '../../../../etc/passwd',
  '%00',
  'a\u0000b',
  '\u0000',
  'line\r\nX-Injected: 1',
  'tenant_id',
  "current_setting('app.tenant_id')",
];

/** Text in the corners of Unicode: astral planes, bidi overrides, combining marks, lone surrogates, BOMs. */
export const UNICODE_STRINGS: readonly string[] = [
  '\u{1F6B0}\u{1F4A7}'.repeat(8),
  'ＦＵＬＬＷＩＤＴＨ',
  'مضخة المياه',
  'पानी की टंकी',
  '\u202Egnp.exe',
  'e\u0301\u0301\u0301',
  '\uFEFFbom',
  'zero\u200Bwidth\u200D',
  'lone \uD800 high',
  'lone \uDFFF low',
  '\u2028\u2029',
  'İstanbul ß ǅ',
  '𝕿𝖎𝖉𝖊',
  '\u0085next line',
];

/** Numbers at the edges, as numbers and as the strings clients send by mistake. */
export const EDGE_NUMBERS: readonly unknown[] = [
  'NaN',
  'Infinity',
  '-Infinity',
  '1e308',
  1e308,
  -1e308,
  -0,
  Number.MAX_SAFE_INTEGER + 1,
  2 ** 63,
  -(2 ** 63),
  2_147_483_648,
  -2_147_483_649,
  4_294_967_296,
  5e-324,
  0.1,
  -1,
  0,
  1.5,
  '0x10',
  '',
  ' 12 ',
];

/** Malformed and foreign ids, for `:id` and every `*Id` field. */
export const INVALID_UUIDS: readonly string[] = [
  'not-a-uuid',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  'FFFFFFFF-FFFF-4FFF-BFFF-FFFFFFFFFFFF',
  '0000000-0000-4000-8000-000000000000',
  '00000000-0000-4000-8000-0000000000000',
  '{00000000-0000-4000-8000-000000000000}',
  '00000000000040008000000000000000',
  '00000000-0000-4000-8000-00000000000g',
  "00000000-0000-4000-8000-000000000000' OR '1'='1",
  '1',
  '-1',
  '',
];

/** Raw JSON texts that are not JSON, or not what a body should be. */
export const BROKEN_JSON_TEXTS: readonly string[] = [
  '{"a": NaN}',
  '{"a": Infinity}',
  '{"a": -Infinity}',
  '{"a": 1,}',
  "{'a': 1}",
  '{"a": 1 /* c */}',
  '{"a": 0x10}',
  '{"a": 01}',
  '{"a": .5}',
  '{"a": undefined}',
  '{a: 1}',
  '"just a string"',
  '123',
  'null',
  'true',
  '{',
  '}',
  '[',
  '\u0000',
  '{"a": "\\uD800"}',
  '{"a": "\\x41"}',
];

export const PROTOTYPE_KEYS: readonly string[] = ['__proto__', 'constructor', 'prototype'];

export function hostileString(random: Random): string {
  return random.weighted<() => string>([
    [4, () => random.pick(INJECTION_STRINGS)],
    [4, () => random.pick(UNICODE_STRINGS)],
    [1, () => 'A'.repeat(random.pick([1_000, 10_000, 100_000]))],
    [1, () => '\u{1F4A7}'.repeat(random.pick([1_000, 30_000]))],
    [1, () => random.string(random.int(1, 40), '\u0000\u0001\u001f\u007f"\\/\b\f\n\r\t<>&\'')],
  ])();
}

/** `[[[[...]]]]` or `{"a":{"a":...}}` as text, so building it costs no recursion here. */
export function depthBombText(random: Random): string {
  const depth = random.pick([64, 512, 5_000, 50_000]);
  return random.chance(0.5)
    ? '['.repeat(depth) + ']'.repeat(depth)
    : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

/** A value that is not the JSON type a field wants. */
export function wrongType(value: unknown, random: Random): unknown {
  const candidates: unknown[] = ['text', 42, -1.5, true, false, null, [], {}, [value], { value }];
  const different = candidates.filter(
    (c) => typeof c !== typeof value || Array.isArray(c) !== Array.isArray(value),
  );
  return random.pick(different.length > 0 ? different : candidates);
}
