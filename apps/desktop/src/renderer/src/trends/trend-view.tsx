import type { TelemetryResponse } from '@tidewatch/shared';
import { useEffect, useMemo, useRef, useState } from 'react';
import { describeError } from '../api/api-error.ts';
import type { LiveStatus, LiveTelemetrySource } from '../realtime/telemetry-subscriptions.ts';
import {
  appendReadings,
  followingWindow,
  latestReadings,
  NO_TAIL,
  rangeEndingAt,
  tailAfter,
  type LiveTail,
} from './live-telemetry.ts';
import { TrendChart, type TrendChartHandle } from './trend-chart.tsx';
import { buildTrendOption } from './trend-option.ts';
import {
  downloadTrendCsv,
  saveFile,
  trendQuery,
  useAlertMarkers,
  useThresholds,
  useTrend,
} from './trend-queries.ts';
import {
  pointsForWidth,
  presetRange,
  trendPresets,
  zoomedRange,
  type TimeRange,
  type TrendPresetId,
} from './trend-range.ts';

/** In live mode the range is asked for again this often, so pushed readings join the downsampled data. */
const LIVE_REQUERY_MS = 60_000;

const liveStatusText: Readonly<Record<LiveStatus['kind'], string>> = {
  connecting: 'connecting…',
  live: 'live',
  failed: 'not live',
};

/** Series to show: from `?series=1,2` of a popped-out window, or passed in from the asset detail. */
export function seriesFromLocation(search: string = window.location.search): number[] {
  return (new URLSearchParams(search).get('series') ?? '')
    .split(',')
    .map(Number)
    .filter((id) => Number.isInteger(id) && id > 0);
}

/** Trend charts: presets, zoom that re-queries, thresholds and alert marks, live mode, CSV and PNG export. */
export function TrendView({ seriesIds, live }: { seriesIds: readonly number[]; live: LiveTelemetrySource }) {
  const [preset, setPreset] = useState<TrendPresetId | null>('24h');
  const [range, setRange] = useState<TimeRange>(() => presetRange('24h', Date.now()));
  const [liveOn, setLiveOn] = useState(false);
  const [liveStatus, setLiveStatus] = useState<LiveStatus>({ kind: 'connecting' });
  const [tail, setTail] = useState<LiveTail>(NO_TAIL);
  const [error, setError] = useState<string | null>(null);
  const chartHandle = useRef<TrendChartHandle | null>(null);
  const maxPoints = pointsForWidth(window.innerWidth);
  const trend = useTrend(seriesIds, range, maxPoints);
  const thresholds = useThresholds(seriesIds);
  const markers = useAlertMarkers(seriesIds, range);

  useEffect(() => {
    if (!liveOn || seriesIds.length === 0) return;
    setTail(NO_TAIL);
    return live.follow(seriesIds, {
      onReadings: (readings) => {
        setTail((previous) => appendReadings(previous, readings));
      },
      onStatus: (status) => {
        setLiveStatus(status);
        // Subscribed (again, after a reconnection): the data up to now, so nothing before the first push is lost.
        if (status.kind === 'live') setRange((current) => rangeEndingAt(current, Date.now()));
      },
    });
  }, [liveOn, live, seriesIds]);

  useEffect(() => {
    if (!liveOn) return;
    const timer = window.setInterval(() => {
      setRange((current) => rangeEndingAt(current, Date.now()));
    }, LIVE_REQUERY_MS);
    return () => {
      window.clearInterval(timer);
    };
  }, [liveOn]);

  // Pushed readings up to the end of the data are in the data already (the answer's `to`, also of a placeholder).
  const shownTail = useMemo(
    () => (liveOn && trend.data ? tailAfter(tail, Date.parse(trend.data.to)) : NO_TAIL),
    [liveOn, tail, trend.data],
  );
  const shownWindow = useMemo(
    () => (liveOn ? followingWindow(range, shownTail) : range),
    [liveOn, range, shownTail],
  );
  const option = useMemo(
    () =>
      trend.data
        ? buildTrendOption(trend.data, shownWindow, thresholds.data ?? [], markers.data ?? [], shownTail)
        : null,
    [trend.data, shownWindow, thresholds.data, markers.data, shownTail],
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
              setLiveStatus({ kind: 'connecting' });
              setLiveOn(e.target.checked);
            }}
          />{' '}
          Live
        </label>
        <button
          type="button"
          onClick={() => {
            setError(null);
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
          data-request={JSON.stringify(trendQuery(seriesIds, range, maxPoints))}
        >
          {pointCount} points · {trend.data?.series[0]?.resolution ?? '…'}
          {trend.isFetching ? ' · loading' : ''}
        </span>
      </div>
      {liveOn ? <LiveReadout status={liveStatus} tail={tail} trend={trend.data} /> : null}
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
            // Looking back in time pauses live mode: the window no longer follows the newest reading.
            setLiveOn(false);
            setPreset(null);
            setRange(zoomedRange(shownWindow, start, end));
          }}
        />
      ) : (
        <p className="notice">Loading the trend…</p>
      )}
    </div>
  );
}

/** Whether live mode is receiving, and the newest reading pushed for each series. */
function LiveReadout({
  status,
  tail,
  trend,
}: {
  status: LiveStatus;
  tail: LiveTail;
  trend: TelemetryResponse | undefined;
}) {
  const refused = status.kind === 'live' ? status.refused : [];
  return (
    <p className="trend-view__live" role="status" data-testid="trend-live" data-state={status.kind}>
      <span>Live: {liveStatusText[status.kind]}</span>
      {status.kind === 'failed' ? <span> · {status.message}</span> : null}
      {refused.length > 0 ? <span> · not available live: #{refused.join(', #')}</span> : null}
      {latestReadings(tail).map(([seriesId, at, value]) => {
        const line = trend?.series.find((s) => s.seriesId === seriesId);
        return (
          <span key={seriesId} data-series-id={seriesId} data-time={at} data-value={value}>
            {' '}
            · {line?.metricKey ?? 'series'} #{seriesId} {value} {line?.unit ?? ''} at{' '}
            {new Date(at).toLocaleTimeString()}
          </span>
        );
      })}
    </p>
  );
}
