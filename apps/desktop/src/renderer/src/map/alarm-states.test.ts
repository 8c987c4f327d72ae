import type { Alert, AlertPriority, AlertState } from '@tidewatch/shared';
import { describe, expect, it } from 'vitest';
import { makeAlert } from '../test-support/make-alert.ts';
import { alarmStates, changedStates, pulsingIds } from './alarm-states.ts';
import { circleRing, drawingFeatures } from './map-drawing.ts';

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

function alertOn(assetId: string, priority: AlertPriority, state: AlertState): Alert {
  return makeAlert({ assetId, priority, originalPriority: priority, state });
}

describe('alarm states from the live alert feed', () => {
  it('keeps the worst open level per asset, unacknowledged only when the worst is', () => {
    const states = alarmStates([
      alertOn(id(1), 'medium', 'active_unacknowledged'),
      alertOn(id(1), 'critical', 'active_acknowledged'),
      alertOn(id(2), 'high', 'active_acknowledged'),
      alertOn(id(2), 'high', 'returned_unacknowledged'),
      alertOn(id(3), 'critical', 'shelved'),
      makeAlert({ assetId: null, priority: 'critical' }),
    ]);
    expect(Object.fromEntries(states)).toEqual({
      [id(1)]: { alarm: 4, unacknowledged: false },
      [id(2)]: { alarm: 3, unacknowledged: true },
    });
  });

  it('says which assets changed, cleared ones as level 0, and which pulse', () => {
    const before = alarmStates([
      alertOn(id(1), 'critical', 'active_unacknowledged'),
      alertOn(id(2), 'low', 'active_unacknowledged'),
    ]);
    const after = alarmStates([
      alertOn(id(1), 'critical', 'active_acknowledged'),
      alertOn(id(3), 'critical', 'active_unacknowledged'),
    ]);
    expect(Object.fromEntries(changedStates(before, after))).toEqual({
      [id(1)]: { alarm: 4, unacknowledged: false },
      [id(2)]: { alarm: 0, unacknowledged: false },
      [id(3)]: { alarm: 4, unacknowledged: true },
    });
    expect(changedStates(after, after).size).toBe(0);
    expect(pulsingIds(before)).toEqual([id(1)]);
    expect(pulsingIds(after)).toEqual([id(3)]);
  });
});

describe('what the map draws while the operator places an area', () => {
  it('draws a circle of the asked radius, closed', () => {
    const ring = circleRing([78.4, 17.4], 500);
    expect(ring[0]).toEqual(ring[ring.length - 1]);
    // 500 m north is about 0.0045 degrees of latitude.
    const north = Math.max(...ring.map(([, lat]) => lat));
    expect(north - 17.4).toBeCloseTo(0.0045, 4);
  });

  it('draws the corners placed so far and the outline through them', () => {
    const drawn = drawingFeatures({
      kind: 'drawing',
      vertices: [
        [78.1, 17.1],
        [78.2, 17.1],
        [78.2, 17.2],
      ],
    });
    expect(drawn.features.map((feature) => feature.geometry.type)).toEqual([
      'LineString',
      'Point',
      'Point',
      'Point',
    ]);
    expect(drawingFeatures({ kind: 'browse' }).features).toEqual([]);
  });
});
