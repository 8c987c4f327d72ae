import { describe, expect, it } from 'vitest';
import { csvText } from './trend-query.ts';

describe('CSV text fields', () => {
  it('leaves plain text alone, quotes separators and neutralises formulas', () => {
    expect(csvText('level_cm')).toBe('level_cm');
    expect(csvText('m³/h')).toBe('m³/h');
    expect(csvText('litres, per minute')).toBe('"litres, per minute"');
    expect(csvText('say "hi"')).toBe('"say ""hi"""');
    expect(csvText('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvText('-5')).toBe("'-5");
  });
});
