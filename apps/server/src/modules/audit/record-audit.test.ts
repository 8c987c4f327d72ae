import { describe, expect, it } from 'vitest';
import { auditDetailsJson } from './record-audit.ts';

describe('audit details', () => {
  it('record a lone surrogate or a NUL as U+FFFD, and every other text as it is', () => {
    const details = {
      name: 'pump \uD800 house',
      tags: ['a\uDC00', 'ok'],
      nested: { note: 'nul\u0000here', emoji: 'tank 😀' },
      count: 3,
    };
    expect(JSON.parse(auditDetailsJson(details))).toEqual({
      name: 'pump \uFFFD house',
      tags: ['a\uFFFD', 'ok'],
      nested: { note: 'nul\uFFFDhere', emoji: 'tank 😀' },
      count: 3,
    });
    expect(auditDetailsJson(details)).not.toMatch(/\\u(d[89ab]|dc|0000)/i);
  });
});
