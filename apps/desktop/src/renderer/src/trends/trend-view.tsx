import { useEffect, useMemo, useRef, useState } from 'react';
import { describeError } from '../api/api-error.ts';
import { pollingTelemetrySource, type LiveReading, type LiveTelemetrySource } from './live-telemetry.ts';
import { TrendChart, type TrendChartHandle } from './trend-chart.tsx';
import { buildTrendOption, type LiveTail } from './trend-option.ts';
import { downloadTrendCsv, saveFile, useAlertMarkers, useThresholds, useTrend } from './trend-queries.ts';
import {
  pointsForWidth,
  presetRange,
  trendPresets,
  zoomedRange,
  type TimeRange,
  type TrendPresetId,
} from './trend-range.ts';

const NO_POINTS = new Map<number, readonly (readonly [number, number])[]>();

/** Series to show: from `?series=1,2` of a popped-out window, or passed in from the asset detail. */
export function seriesFromLocation(search: string = window.location.search): number[] {
  return (new URLSearchParams(search).get('series') ?? '')
    .split(',')
    .map(Number)
    .filter((id) => Number.isInteger(id) && id > 0);
}

/** Trend charts: presets, zoom that re-queries, thresholds and alert marks, live mode, CSV and PNG export. */
export function TrendView({
  seriesIds,
  live: liveSource = pollingTelemetrySource,
}: {
  seriesIds: readonly number[];
  live?: LiveTelemetrySource;
}) {
  const [preset, setPreset] = useState<TrendPresetId | null>('24h');
  const [range, setRange] = useState<TimeRange>(() => presetRange('24h', Date.now()));
  const [liveOn, setLiveOn] = useState(false);
  const [tail, setTail] = useState<LiveTail>(NO_POINTS);
  const [error, setError] = useState<string | null>(null);
  const chartHandle = useRef<TrendChartHandle | null>(null);
  const maxPoints = pointsForWidth(window.innerWidth);
  const trend = useTrend(seriesIds, range, maxPoints);
  const thresholds = useThresholds(seriesIds);
  const markers = useAlertMarkers(seriesIds, range);

  useEffect(() => {
    if (!liveOn || seriesIds.length === 0) return;
    setTail(new Map());
    return liveSource.subscribe(seriesIds, (readings: LiveReading[]) => {
      setTail((previous) => {
        const next = new Map(previous);
        for (const [seriesId, at, value] of readings)
          next.set(seriesId, [...(next.get(seriesId) ?? []), [at, value]]);
        return next;
      });
      // The window follows the newest reading.
      const newest = Math.max(...readings.map(([, at]) => at));
      setRange((current) =>
        newest > current.to ? { from: current.from + (newest - current.to), to: newest } : current,
      );
    });
  }, [liveOn, liveSource, seriesIds]);

  const option = useMemo(
    () =>
      trend.data
        ? buildTrendOption(
            trend.data,
            range,
            thresholds.data ?? [],
            markers.data ?? [],
            liveOn ? tail : NO_POINTS,
          )
        : null,
    [trend.data, range, thresholds.data, markers.data, tail, liveOn],
  );
  const pointCount = trend.data?.series.reduce((sum, line) => sum + line.points.length, 0) ?? 0;

  if (seriesIds.length === 0) return <p className="notice">Pick an asset on the map and open its trend.</p>;
  return (
    <div className="trend-view" data-testid="trend-view">
      <div className="trend-view__toolbar" role="toolbar" aria-label="Trend range">
        {trendPresets.map((p) => (
          <button
            key={p.id}
            type="button"
            aria-pressed={preset === p.id}
            onClick={() => {
              setPreset(p.id);
              setRange(presetRange(p.id, Date.now()));
            }}
          >
            {p.label}
          </button>
        ))}
        <label>
          <input
            type="checkbox"
            checked={liveOn}
            onChange={(e) => {
              setLiveOn(e.target.checked);
            }}
          />{' '}
          Live
        </label>
        <button
          type="button"
          onClick={() => {
            downloadTrendCsv(seriesIds, range, maxPoints).catch((failure: unknown) => {
              setError(describeError(failure));
            });
          }}
        >
          CSV
        </button>
        <button
          type="button"
          onClick={() => {
            const url = chartHandle.current?.pngDataUrl();
            if (url) saveFile(url, 'trend.png');
          }}
        >
          PNG
        </button>
        <span
          className="muted"
          data-testid="trend-points"
          data-points={pointCount}
          data-resolution={trend.data?.series[0]?.resolution ?? ''}
        >
          {pointCount} points · {trend.data?.series[0]?.resolution ?? '…'}
          {trend.isFetching ? ' · loading' : ''}
        </span>
      </div>
      {(error ?? trend.error) ? (
        <p role="alert" className="notice notice--error">
          {error ?? describeError(trend.error)}
        </p>
      ) : null}
      {option ? (
        <TrendChart
          option={option}
          handle={chartHandle}
          onZoom={(start, end) => {
            setPreset(null);
            setRange((current) => zoomedRange(current, start, end));
          }}
        />
      ) : (
        <p className="notice">Loading the trend…</p>
      )}
    </div>
  );
}
