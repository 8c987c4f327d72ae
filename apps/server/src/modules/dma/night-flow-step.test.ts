import { nightFlowStepParamsSchema } from '@tidewatch/shared';
import { describe, expect, it } from 'vitest';
import { judgeNights, type NightFlow } from './night-flow-step.ts';

const DAY = 86_400_000;
const params = nightFlowStepParamsSchema.parse({});

/** Twenty quiet nights around 2,000 L/h, then a burst of 400 L/h from night `burstFrom` on. */
function nights(burstFrom: number, count = 24): NightFlow[] {
  return Array.from({ length: count }, (_, i) => ({
    date: `night-${String(i)}`,
    windowEnd: i * DAY,
    minNightFlowLph: 2000 + ((i * 37) % 5) * 10 + (i >= burstFrom ? 400 : 0),
  }));
}

describe('night-flow step judgement', () => {
  it('flags the first night with the burst, none before it, and keeps flagging while it is not repaired', () => {
    const judged = judgeNights(nights(20), params);
    expect(judged.map((n) => n.stepped)).toEqual([...Array<boolean>(20).fill(false), true, true, true, true]);
    expect(judged[20]?.usualLph).toBeCloseTo(2020, 0);
  });

  it('learns before judging, and leaves incomplete nights out', () => {
    const list = nights(99);
    const judged = judgeNights(
      list.map((n, i) => (i === 10 ? { ...n, minNightFlowLph: null } : n)),
      params,
    );
    expect(judged.slice(0, params.minHistoryNights).every((n) => n.usualLph === null)).toBe(true);
    expect(judged[10]).toMatchObject({ stepped: false, usualLph: null });
    expect(judged.some((n) => n.stepped)).toBe(false);
  });
});
