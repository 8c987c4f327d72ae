/** The ranges an operator picks with one click. */
export const trendPresets = [
  { id: '1h', label: '1 h', ms: 3_600_000 },
  { id: '24h', label: '24 h', ms: 86_400_000 },
  { id: '7d', label: '7 d', ms: 7 * 86_400_000 },
  { id: '30d', label: '30 d', ms: 30 * 86_400_000 },
  { id: '1y', label: '1 y', ms: 365 * 86_400_000 },
] as const;
export type TrendPresetId = (typeof trendPresets)[number]['id'];

export interface TimeRange {
  readonly from: number;
  readonly to: number;
}

/** Points a chart asks for: about one per two pixels of width is as much as the eye can use. */
export function pointsForWidth(widthPx: number): number {
  return Math.min(5000, Math.max(100, Math.round(widthPx / 2)));
}

export function presetRange(id: TrendPresetId, now: number): TimeRange {
  const preset = trendPresets.find((p) => p.id === id) ?? trendPresets[1];
  return { from: now - preset.ms, to: now };
}

/**
 * The range a zoom window (percentages of the loaded range, as echarts reports them) stands for. Zooming in
 * asks the server again for this range, so it answers at a finer resolution.
 */
export function zoomedRange(loaded: TimeRange, startPercent: number, endPercent: number): TimeRange {
  const span = loaded.to - loaded.from;
  const from = Math.round(loaded.from + (span * Math.max(0, startPercent)) / 100);
  const to = Math.round(loaded.from + (span * Math.min(100, endPercent)) / 100);
  // Never narrower than a minute: below that there is nothing more to see.
  return to - from < 60_000 ? { from, to: from + 60_000 } : { from, to };
}
