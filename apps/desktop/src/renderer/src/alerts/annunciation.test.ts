import { describe, expect, it } from 'vitest';
import { makeAlert } from '../test-support/make-alert.ts';
import { soundingAlerts, soundingPriority } from './annunciation.ts';

describe('annunciation', () => {
  it('sounds for unacknowledged critical and high alerts not silenced, the most urgent tone winning', () => {
    const critical = makeAlert({ priority: 'critical', state: 'active_unacknowledged' });
    const high = makeAlert({ priority: 'high', state: 'returned_unacknowledged' });
    const acknowledged = makeAlert({ priority: 'critical', state: 'active_acknowledged' });
    const medium = makeAlert({ priority: 'medium', state: 'active_unacknowledged' });
    const all = [critical, high, acknowledged, medium];

    expect(soundingAlerts(all, new Set()).map((a) => a.id)).toEqual([critical.id, high.id]);
    expect(soundingPriority(soundingAlerts(all, new Set()))).toBe('critical');
    const silencedCritical = soundingAlerts(all, new Set([critical.id]));
    expect(soundingPriority(silencedCritical)).toBe('high');
    expect(soundingPriority(soundingAlerts(all, new Set([critical.id, high.id])))).toBeNull();
  });
});
