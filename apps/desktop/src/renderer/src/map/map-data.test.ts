import type { Alert, AlertPriority, AlertState, MapLayers } from '@tidewatch/shared';
import { describe, expect, it } from 'vitest';
import { makeAlert } from '../test-support/make-alert.ts';
import { clustersAt } from './map-clusters.ts';
import { pointsInView, toMapData } from './map-data.ts';
import { alertLevelColors, maintenanceColor, paintMap } from './map-paint.ts';
import { pipesForView, pipesWhileMoving } from './map-pipe-tiers.ts';

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

const layers: MapLayers = {
  points: {
    count: 3,
    ids: [id(1), id(2), id(3)],
    codes: ['T-1', 'P-1', 'V-1'],
    names: ['Tank', 'Pump', 'Valve'],
    kinds: [0, 3, 7],
    positions: [78.1, 17.1, 78.2, 17.2, 78.3, 17.3],
    alertLevels: [4, 2, 0],
    unacknowledged: [1, 0, 0],
    inMaintenance: [0, 0, 1],
  },
  pipes: {
    count: 2,
    ids: [id(4), id(5)],
    codes: ['PL-1', 'PL-2'],
    diametersMm: [600, 100],
    materials: [0, -1],
    alertLevels: [0, 3],
    unacknowledged: [0, 0],
    inMaintenance: [0, 0],
    pathStarts: [0, 2],
    coordinates: [78.1, 17.1, 78.2, 17.2, 78.2, 17.2, 78.25, 17.25, 78.3, 17.3],
  },
  bbox: [78.1, 17.1, 78.3, 17.3],
};

function alertOn(assetId: string, priority: AlertPriority, state: AlertState): Alert {
  return makeAlert({ assetId, priority, originalPriority: priority, state });
}

const openAlerts: Alert[] = [
  alertOn(id(1), 'critical', 'active_unacknowledged'),
  alertOn(id(1), 'low', 'active_acknowledged'),
  alertOn(id(2), 'medium', 'active_acknowledged'),
  // Shelved alerts do not colour the map, nor do alerts of assets in maintenance (they are suppressed anyway).
  alertOn(id(2), 'critical', 'shelved'),
  alertOn(id(5), 'high', 'returned_unacknowledged'),
];

describe('map data', () => {
  it('closes the path index with the vertex count and widens pipes by diameter', () => {
    const data = toMapData(layers);

    expect([...data.pipes.startIndices]).toEqual([0, 2, 5]);
    expect(data.pipes.widths[0]).toBeGreaterThan(data.pipes.widths[1] ?? 0);
    expect(data.pointIndexById.get(id(2))).toBe(1);
  });

  it('finds the points inside a view, up to a limit', () => {
    const data = toMapData(layers);

    expect(pointsInView(data.points, [78.15, 17.15, 78.35, 17.35], 10)).toEqual([1, 2]);
    expect(pointsInView(data.points, [78, 17, 79, 18], 1)).toEqual([0]);
  });
});

describe('map paint', () => {
  it('colours each asset by its worst open alert and pulses only unacknowledged critical ones', () => {
    const paint = paintMap(toMapData(layers), openAlerts);

    expect([...paint.pointColors.slice(0, 4)]).toEqual(alertLevelColors[4]);
    expect([...paint.pointColors.slice(4, 8)]).toEqual(alertLevelColors[2]);
    expect([...paint.pointColors.slice(8, 12)]).toEqual(maintenanceColor);
    expect([...paint.pulsing]).toEqual([0]);
    expect([...paint.alerted]).toEqual([0, 1]);
    expect([...paint.pipeColors.slice(4, 8)]).toEqual(alertLevelColors[3]);
  });

  it('stops pulsing once the critical alert is acknowledged, and loses the colour when it closes', () => {
    const data = toMapData(layers);
    const critical = openAlerts[0];
    if (!critical) throw new Error('no alert');

    const acknowledged = paintMap(data, [{ ...critical, state: 'active_acknowledged' }]);
    const closed = paintMap(data, [{ ...critical, state: 'normal', closedAt: '2026-11-22T01:00:00.000Z' }]);

    expect([...acknowledged.pulsing]).toEqual([]);
    expect([...acknowledged.pointColors.slice(0, 4)]).toEqual(alertLevelColors[4]);
    expect([...closed.pointColors.slice(0, 4)]).toEqual(alertLevelColors[0]);
    expect([...closed.alerted]).toEqual([]);
  });
});

describe('map clusters', () => {
  it('gathers nearby assets at low zoom, keeps the worst alert colour, and separates them when zoomed in', () => {
    const paint = paintMap(toMapData(layers), openAlerts);

    const far = clustersAt(paint, 3);
    const near = clustersAt(paint, 11);

    expect(far.count).toBe(1);
    expect([...far.sizes]).toEqual([3]);
    expect([...far.colors.slice(0, 4)]).toEqual(alertLevelColors[4]);
    expect(far.positions[0]).toBeCloseTo(78.2, 6);
    expect(near.count).toBe(3);
    expect([...near.labelled]).toEqual([]);
    expect(clustersAt(paint, 3.7)).toBe(far);
  });
});

describe('pipe tiers', () => {
  it('draws every pipe while they fit the budget, then the mains zoomed out, always with the pipes in alarm', () => {
    const data = toMapData(layers);
    const quiet = paintMap(data, []);
    const alarmed = paintMap(data, openAlerts);

    const fits = pipesForView(quiet, 9);
    const mains = pipesForView(quiet, 9, 1);
    const mainsAndAlarmed = pipesForView(alarmed, 9, 1);
    const close = pipesForView(quiet, 15, 1);

    expect(fits.count).toBe(2);
    expect(fits.coordinates).toBe(data.pipes.coordinates);
    expect([...mains.indexes]).toEqual([0]);
    expect([...mains.startIndices]).toEqual([0, 2]);
    expect([...mains.coordinates]).toEqual([78.1, 17.1, 78.2, 17.2]);
    expect([...mains.segments.pipes]).toEqual([0]);
    expect([...mainsAndAlarmed.indexes]).toEqual([0, 1]);
    expect(close.count).toBe(2);
  });

  it('while the camera moves, keeps what fits the budget, else only the pipes in alarm', () => {
    const data = toMapData(layers);

    expect(pipesWhileMoving(paintMap(data, []), 9, 10).count).toBe(2);
    expect([...pipesWhileMoving(paintMap(data, openAlerts), 9, 1).indexes]).toEqual([1]);
    expect(pipesWhileMoving(paintMap(data, []), 9, 1).count).toBe(0);
  });
});
