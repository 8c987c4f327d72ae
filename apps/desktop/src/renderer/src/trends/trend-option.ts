import type { TelemetryResponse } from '@tidewatch/shared';
import type { EChartsOption, SeriesOption } from 'echarts';
import type { LiveTail } from './live-telemetry.ts';
import type { TimeRange } from './trend-range.ts';

export interface Threshold {
  readonly seriesId: number;
  readonly label: string;
  readonly value: number;
}

export interface AlertMarker {
  readonly seriesId: number | null;
  readonly at: number;
  readonly label: string;
}

const palette = ['#1f6fb2', '#c2571a', '#2f8f4e', '#8b3fa8', '#b8860b', '#444444'];

/**
 * The echarts option of a trend: one y-axis per unit, each series a mean line over a min/max band where the
 * server downsampled, its alert thresholds as dashed lines and the alerts as marks on the time axis.
 */
export function buildTrendOption(
  response: TelemetryResponse,
  range: TimeRange,
  thresholds: readonly Threshold[],
  markers: readonly AlertMarker[],
  live: LiveTail,
): EChartsOption {
  const units = [...new Set(response.series.map((s) => s.unit))];
  const series: SeriesOption[] = [];
  response.series.forEach((line, k) => {
    const color = palette[k % palette.length] ?? '#1f6fb2';
    const yAxisIndex = Math.max(0, units.indexOf(line.unit));
    const name = `${line.metricKey} (${line.unit}) #${String(line.seriesId)}`;
    const banded = line.resolution !== 'raw';
    if (banded) {
      const stack = `band-${String(line.seriesId)}`;
      series.push(
        {
          type: 'line',
          name: `${name} min`,
          stack,
          yAxisIndex,
          symbol: 'none',
          lineStyle: { opacity: 0 },
          tooltip: { show: false },
          data: line.points.map(([time, , min]) => [time, min]),
        },
        {
          type: 'line',
          name: `${name} range`,
          stack,
          yAxisIndex,
          symbol: 'none',
          lineStyle: { opacity: 0 },
          areaStyle: { color, opacity: 0.18 },
          tooltip: { show: false },
          data: line.points.map(([time, , min, max]) => [time, max - min]),
        },
      );
    }
    const tail = live.get(line.seriesId) ?? [];
    const ownThresholds = thresholds.filter((t) => t.seriesId === line.seriesId);
    const ownMarkers = markers.filter((m) => m.seriesId === line.seriesId);
    series.push({
      type: 'line',
      name,
      yAxisIndex,
      symbol: 'none',
      sampling: 'lttb',
      color,
      data: [...line.points.map(([time, mean]) => [Date.parse(time), mean]), ...tail.map(([t, v]) => [t, v])],
      markLine: {
        symbol: 'none',
        silent: true,
        data: [
          ...ownThresholds.map((t) => ({
            yAxis: t.value,
            name: t.label,
            lineStyle: { type: 'dashed' as const, color: '#d62728' },
            label: { formatter: t.label },
          })),
          ...ownMarkers.map((m) => ({
            xAxis: m.at,
            name: m.label,
            lineStyle: { type: 'solid' as const, color: '#d62728', opacity: 0.6 },
            label: { formatter: '⚠', position: 'end' as const },
          })),
        ],
      },
    });
  });
  return {
    animation: false,
    legend: {
      type: 'scroll',
      top: 0,
      data: response.series.map((l) => `${l.metricKey} (${l.unit}) #${String(l.seriesId)}`),
    },
    tooltip: { trigger: 'axis' },
    grid: { left: 60, right: 60 * Math.max(0, units.length - 1) + 20, top: 40, bottom: 70 },
    xAxis: { type: 'time', min: range.from, max: range.to },
    yAxis: units.map((unit, i) => ({
      type: 'value' as const,
      name: unit,
      scale: true,
      position: i === 0 ? ('left' as const) : ('right' as const),
      offset: i <= 1 ? 0 : (i - 1) * 60,
    })),
    dataZoom: [
      { type: 'inside', xAxisIndex: 0, filterMode: 'none' },
      { type: 'slider', xAxisIndex: 0, filterMode: 'none', bottom: 20 },
    ],
    toolbox: { show: false },
    series,
  };
}
