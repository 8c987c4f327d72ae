import type { TelemetryResponse } from '@tidewatch/shared';
import { apiRequest } from '../api/api-client.ts';

/** One reading of a series: `[seriesId, time (epoch ms), value]`, as the realtime `telemetry` event carries. */
export type LiveReading = readonly [number, number, number];

/**
 * Where live readings come from. The console's socket (`telemetry:subscribe`) is the intended source; until it
 * exposes telemetry, the trend view reads recent raw readings over REST on an interval.
 */
export interface LiveTelemetrySource {
  subscribe(seriesIds: readonly number[], onReadings: (readings: LiveReading[]) => void): () => void;
}

const POLL_MS = 3000;
/** How far back each poll looks: a little longer than the interval, so a late commit is not missed. */
const LOOKBACK_MS = 60_000;

export const pollingTelemetrySource: LiveTelemetrySource = {
  subscribe(seriesIds, onReadings) {
    let since = Date.now() - LOOKBACK_MS;
    let stopped = false;
    const seen = new Map<number, number>();
    const poll = async () => {
      const to = Date.now() + 1000;
      const response = await apiRequest<TelemetryResponse>('/telemetry', {
        query: {
          series: seriesIds.join(','),
          from: new Date(since).toISOString(),
          to: new Date(to).toISOString(),
          maxPoints: 20_000,
        },
      });
      const readings: LiveReading[] = [];
      for (const line of response.series) {
        for (const [time, mean] of line.points) {
          const at = Date.parse(time);
          if (at > (seen.get(line.seriesId) ?? 0)) readings.push([line.seriesId, at, mean]);
        }
        const last = line.points[line.points.length - 1];
        if (last) seen.set(line.seriesId, Math.max(seen.get(line.seriesId) ?? 0, Date.parse(last[0])));
      }
      since = to - LOOKBACK_MS;
      if (readings.length > 0 && !stopped) onReadings(readings);
    };
    const timer = window.setInterval(() => {
      void poll().catch(() => undefined);
    }, POLL_MS);
    void poll().catch(() => undefined);
    return () => {
      stopped = true;
      window.clearInterval(timer);
    };
  },
};
