import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { ThrottledWarning } from './throttled-warning.ts';

describe('ThrottledWarning', () => {
  it('warns once per reason per interval and reports how many it left out', () => {
    const lines: Record<string, unknown>[] = [];
    const log = pino(
      { level: 'warn' },
      { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
    );
    let now = 0;
    const warning = new ThrottledWarning(log, 'refused', 10_000, () => now);
    for (let i = 0; i < 5; i += 1) warning.warn('too_large', { address: '10.0.0.1' });
    warning.warn('keepalive');
    now = 10_000;
    warning.warn('too_large');
    expect(lines.map((line) => [line['reason'], line['leftOutSinceLastWarning'], line['msg']])).toEqual([
      ['too_large', 0, 'refused'],
      ['keepalive', 0, 'refused'],
      ['too_large', 4, 'refused'],
    ]);
    expect(lines[0]?.['address']).toBe('10.0.0.1');
  });
});
