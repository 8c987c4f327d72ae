import type { MapLayers } from '@tidewatch/shared';
import { describe, expect, it } from 'vitest';
import { alertLevelColors, maintenanceColor, pointsInView, toMapData } from './map-data.ts';

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

describe('map data', () => {
  it('colours each asset by its worst alert and pulses only unacknowledged critical ones', () => {
    const data = toMapData(layers);

    expect([...data.points.colors.slice(0, 4)]).toEqual(alertLevelColors[4]);
    expect([...data.points.colors.slice(4, 8)]).toEqual(alertLevelColors[2]);
    expect([...data.points.colors.slice(8, 12)]).toEqual(maintenanceColor);
    expect([...data.points.pulsing]).toEqual([0]);
    expect([...data.points.alerted]).toEqual([0, 1]);
    expect(data.pointIndexById.get(id(2))).toBe(1);
  });

  it('closes the path index with the vertex count and widens pipes by diameter', () => {
    const data = toMapData(layers);

    expect([...data.pipes.startIndices]).toEqual([0, 2, 5]);
    expect(data.pipes.widths[0]).toBeGreaterThan(data.pipes.widths[1] ?? 0);
    expect([...data.pipes.colors.slice(4, 8)]).toEqual(alertLevelColors[3]);
  });

  it('finds the points inside a view, up to a limit', () => {
    const data = toMapData(layers);

    expect(pointsInView(data.points, [78.15, 17.15, 78.35, 17.35], 10)).toEqual([1, 2]);
    expect(pointsInView(data.points, [78, 17, 79, 18], 1)).toEqual([0]);
  });
});
