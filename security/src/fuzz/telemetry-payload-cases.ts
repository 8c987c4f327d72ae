import type { Random } from '../random.ts';

// Telemetry payload texts aimed at the corners of the payload rules: times on and around calendar and range
// edges, metric keys around the pattern and its length, value types, counts around 1, 64 and 1,000, extra and
// prototype keys. Each is JSON text (so `__proto__` arrives as an own key, as it would from a device).

const HOUR_MINUTE_SECOND = ['00', '09', '23', '24', '59', '60', '61', '7', '000'];

function digits(random: Random, length: number): string {
  return random.string(length, '0123456789');
}

function dateTimeText(random: Random): string {
  const year = random.pick([
    '0000',
    '1900',
    '1970',
    '2000',
    '2024',
    '2100',
    '2400',
    '9999',
    '999',
    digits(random, 4),
  ]);
  const month = random.pick(['00', '01', '02', '04', '06', '09', '11', '12', '13', '1', digits(random, 2)]);
  const day = random.pick(['00', '01', '28', '29', '30', '31', '32', '1', digits(random, 2)]);
  const hour = random.pick(HOUR_MINUTE_SECOND);
  const minute = random.pick(HOUR_MINUTE_SECOND);
  const second = random.pick(HOUR_MINUTE_SECOND);
  const fraction = random.pick(['', '', '.', '.5', '.123', `.${digits(random, random.int(1, 12))}`, '.x']);
  const offset = random.pick([
    'Z',
    'Z',
    'z',
    '',
    '+00:00',
    '-00:00',
    '+14:00',
    '-23:59',
    '+24:00',
    '+05:60',
    '+0530',
    '+05',
    ` Z`,
    `${random.pick(['+', '-'])}${digits(random, 2)}:${digits(random, 2)}`,
  ]);
  const separator = random.pick(['T', 'T', 'T', 't', ' ', '']);
  const text = `${year}-${month}-${day}${separator}${hour}:${minute}${random.chance(0.9) ? `:${second}` : ''}${fraction}${offset}`;
  if (random.chance(0.05)) return text.slice(0, random.int(0, text.length));
  if (random.chance(0.03)) return `${text}\n`;
  if (random.chance(0.02)) return text.replace(/\d/, '\u0663');
  return text;
}

function tsText(random: Random): string {
  return random.weighted<() => string>([
    [3, () => String(random.int(0, 2_000_000_000_000))],
    [3, () => JSON.stringify(dateTimeText(random))],
    [
      2,
      () =>
        random.pick([
          '0',
          '-0',
          '-1',
          '1.5',
          '8640000000000000',
          '8640000000000001',
          '8.64e15',
          '9007199254740993',
          '1e400',
          '-1e400',
          '1e-400',
          '1700000000000.0',
          '1.7e12',
          'null',
          'true',
          '"1700000000000"',
          '""',
          '[]',
          '{}',
        ]),
    ],
  ])();
}

function keyText(random: Random): string {
  return random.weighted<() => string>([
    [6, () => random.string(1, 'abcdefghijklmnopqrstuvwxyz') + random.string(random.int(0, 12), 'abcz09_')],
    [
      2,
      () =>
        random.pick([
          'a',
          `a${'b'.repeat(63)}`,
          `a${'b'.repeat(64)}`,
          'A',
          'level_CM',
          '_level',
          '9lives',
          '',
          'a-b',
          'a b',
          'a.b',
          '__proto__',
          'constructor',
          'toString',
          'hasOwnProperty',
          'é',
          'a\u0000',
          'a\n',
          '1',
          '01',
          '1.5',
        ]),
    ],
  ])();
}

function valueText(random: Random): string {
  return random.weighted<() => string>([
    [6, () => String(Math.round((random.next() - 0.5) * 2e6) / 100)],
    [2, () => random.pick(['true', 'false'])],
    [
      2,
      () =>
        random.pick([
          '0',
          '-0',
          '1e308',
          '-1e308',
          '1e400',
          '-1e400',
          '1e-400',
          '5e-324',
          'null',
          '"1"',
          '""',
          '[]',
          '[1]',
          '{}',
          '{"v":1}',
        ]),
    ],
  ])();
}

function valuesText(random: Random): string {
  if (random.chance(0.04))
    return random.pick(['null', '[]', '[["a",1]]', '"x"', '1', 'true', '{"__proto__":{"a":1}}']);
  const count = random.weighted<number>([
    [8, random.int(1, 5)],
    [1, 0],
    [1, random.int(62, 66)],
  ]);
  const entries: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const key = random.chance(0.9) ? `m${String(i)}_${random.string(2, 'abc')}` : keyText(random);
    entries.push(`${JSON.stringify(random.chance(0.3) ? keyText(random) : key)}:${valueText(random)}`);
  }
  return `{${entries.join(',')}}`;
}

function messageText(random: Random): string {
  if (random.chance(0.03)) return random.pick(['null', '1', '"x"', 'true', '[]', '[{}]']);
  const fields: string[] = [];
  if (random.chance(0.6)) fields.push(`"ts":${tsText(random)}`);
  if (random.chance(0.95)) fields.push(`"values":${valuesText(random)}`);
  if (random.chance(0.05))
    fields.push(`${JSON.stringify(random.pick(['extra', 'TS', 'value', '__proto__', 'constructor']))}:1`);
  if (random.chance(0.02)) fields.push(`"ts":${tsText(random)}`);
  for (let i = fields.length - 1; i > 0; i -= 1) {
    const j = random.int(0, i);
    [fields[i], fields[j]] = [fields[j] ?? '', fields[i] ?? ''];
  }
  return `{${fields.join(',')}}`;
}

/**
 * One generated telemetry payload text: mostly a single message, sometimes an array (empty, small, or around
 * the 1,000-message limit), now and then another JSON value altogether.
 */
export function telemetryPayloadText(random: Random): string {
  return random.weighted<() => string>([
    [70, () => messageText(random)],
    [25, () => `[${Array.from({ length: random.int(0, 4) }, () => messageText(random)).join(',')}]`],
    [
      0.2,
      () => {
        const one = messageText(random);
        return `[${Array.from({ length: random.pick([999, 1000, 1001]) }, () => one).join(',')}]`;
      },
    ],
    [2, () => random.pick(['null', '0', '"text"', 'true', '{}', '[[]]', '[null]'])],
  ])();
}
