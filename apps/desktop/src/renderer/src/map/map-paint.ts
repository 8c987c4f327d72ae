import type { Alert, AlertPriority, AlertState } from '@tidewatch/shared';
import type { MapData } from './map-data.ts';

export type Rgba = readonly [number, number, number, number];

/** Symbol colours by alert level (none, low, medium, high, critical), matching the alert console's priorities. */
export const alertLevelColors: readonly Rgba[] = [
  [46, 125, 160, 220],
  [96, 160, 96, 255],
  [230, 190, 40, 255],
  [240, 130, 30, 255],
  [220, 40, 40, 255],
];
/** Assets in maintenance are greyed: their alerts are suppressed. */
export const maintenanceColor: Rgba = [140, 140, 140, 200];
const pipeColor: Rgba = [70, 110, 170, 200];

const priorityLevel: Readonly<Record<AlertPriority, number>> = { low: 1, medium: 2, high: 3, critical: 4 };
/** States that colour the map, as on the server's layers: shelved, suppressed and out-of-service ones do not. */
const colouring: ReadonlySet<AlertState> = new Set([
  'active_unacknowledged',
  'active_acknowledged',
  'returned_unacknowledged',
]);
const unacknowledged: ReadonlySet<AlertState> = new Set(['active_unacknowledged', 'returned_unacknowledged']);

/** The map's colours at one moment of the alert feed. */
export interface MapPaint {
  readonly data: MapData;
  /** Worst open alert level per point asset, 0 for none. */
  readonly pointLevels: Uint8Array;
  readonly pointColors: Uint8Array;
  /** Worst open alert level per pipe, 0 for none. */
  readonly pipeLevels: Uint8Array;
  readonly pipeColors: Uint8Array;
  /** Indexes of points whose worst alert is an unacknowledged critical one: the only symbols that pulse. */
  readonly pulsing: Uint32Array;
  /** Indexes of points with any open alert, drawn above the clusters at low zoom. */
  readonly alerted: Uint32Array;
}

function colorOf(level: number, inMaintenance: boolean, none: Rgba): Rgba {
  if (inMaintenance) return maintenanceColor;
  return level === 0 ? none : (alertLevelColors[level] ?? none);
}

/**
 * Colours the network from the console's live list of open alerts. The geometry stays as loaded; only these
 * small arrays are made again when an alert changes, so a colour follows its alert within the socket's delay
 * instead of waiting for a reload of the whole network.
 */
export function paintMap(data: MapData, alerts: readonly Alert[]): MapPaint {
  const { points, pipes } = data;
  const pointLevels = new Uint8Array(points.count);
  const pointUnacknowledged = new Uint8Array(points.count);
  const pipeLevels = new Uint8Array(pipes.count);
  for (const alert of alerts) {
    if (alert.assetId === null || alert.closedAt !== null || !colouring.has(alert.state)) continue;
    const level = priorityLevel[alert.priority];
    const point = data.pointIndexById.get(alert.assetId);
    if (point !== undefined) {
      const held = pointLevels[point] ?? 0;
      const open = unacknowledged.has(alert.state) ? 1 : 0;
      // Unacknowledged counts for the worst level only, as the pulse means "the worst here is not yet seen".
      if (level > held) pointUnacknowledged[point] = open;
      else if (level === held) pointUnacknowledged[point] = Math.max(pointUnacknowledged[point] ?? 0, open);
      pointLevels[point] = Math.max(held, level);
      continue;
    }
    const pipe = data.pipeIndexById.get(alert.assetId);
    if (pipe !== undefined) pipeLevels[pipe] = Math.max(pipeLevels[pipe] ?? 0, level);
  }

  const pointColors = new Uint8Array(points.count * 4);
  const pulsing: number[] = [];
  const alerted: number[] = [];
  for (let i = 0; i < points.count; i += 1) {
    const level = pointLevels[i] ?? 0;
    pointColors.set(colorOf(level, points.inMaintenance[i] === 1, alertLevelColors[0] ?? pipeColor), i * 4);
    if (level > 0) alerted.push(i);
    if (level === 4 && pointUnacknowledged[i] === 1) pulsing.push(i);
  }
  const pipeColors = new Uint8Array(pipes.count * 4);
  for (let i = 0; i < pipes.count; i += 1) {
    pipeColors.set(colorOf(pipeLevels[i] ?? 0, pipes.inMaintenance[i] === 1, pipeColor), i * 4);
  }
  return {
    data,
    pointLevels,
    pointColors,
    pipeLevels,
    pipeColors,
    pulsing: Uint32Array.from(pulsing),
    alerted: Uint32Array.from(alerted),
  };
}
