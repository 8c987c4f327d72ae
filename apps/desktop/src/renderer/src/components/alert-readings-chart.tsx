import type { Alert } from '@tidewatch/shared';
import { useAlertReadings } from '../alerts/alert-readings.ts';
import { describeError } from '../api/api-error.ts';
import { formatTime, formatValue } from './format.ts';

const WIDTH = 320;
const HEIGHT = 110;
const PAD = 4;
/** Below this many readings a line says little: each reading gets a dot. */
const FEW_POINTS = 12;

/** The series around the alert: a line of the readings, a mark where it was raised, its value range. */
export function AlertReadingsChart({ alert }: { alert: Alert }) {
  const readings = useAlertReadings(alert);
  if (alert.seriesId === null) return <p className="detail__muted">This alert has no series to show.</p>;
  if (readings.isError) return <p className="detail__error">{describeError(readings.error)}</p>;
  const series = readings.data;
  if (readings.isPending) return <p className="detail__muted">Loading readings…</p>;
  if (!series || series.points.length === 0)
    return <p className="detail__muted">No readings around this alert.</p>;
  const times = series.points.map((point) => Date.parse(point[0]));
  const values = series.points.map((point) => point[1]);
  const t0 = Math.min(...times);
  const t1 = Math.max(...times, t0 + 1);
  const raisedAt = Date.parse(alert.raisedAt);
  const low = Math.min(...values, alert.raisedValue ?? Infinity);
  const high = Math.max(...values, alert.raisedValue ?? -Infinity);
  // A flat series sits in the middle rather than on the floor.
  const [v0, v1] = high - low > 1e-9 ? [low, high] : [low - 1, high + 1];
  const x = (t: number) => PAD + ((t - t0) / (t1 - t0)) * (WIDTH - 2 * PAD);
  const y = (v: number) => HEIGHT - PAD - ((v - v0) / (v1 - v0)) * (HEIGHT - 2 * PAD);
  const line = series.points
    .map(
      (point, index) =>
        `${index === 0 ? 'M' : 'L'}${x(times[index] ?? t0).toFixed(1)},${y(point[1]).toFixed(1)}`,
    )
    .join(' ');
  return (
    <figure className="readings">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        className="readings__chart"
        role="img"
        aria-label={`${series.metricKey} from ${formatTime(t0)} to ${formatTime(t1)}`}
      >
        {raisedAt >= t0 && raisedAt <= t1 ? (
          <line x1={x(raisedAt)} x2={x(raisedAt)} y1={0} y2={HEIGHT} className="readings__raised" />
        ) : null}
        <path d={line} className="readings__line" />
        {series.points.length < FEW_POINTS
          ? series.points.map((point, index) => (
              <circle
                key={point[0]}
                cx={x(times[index] ?? t0)}
                cy={y(point[1])}
                r={2.5}
                className="readings__point"
              />
            ))
          : null}
      </svg>
      <figcaption className="detail__muted">
        {series.metricKey} ({series.unit}) {formatValue(low)} to {formatValue(high)}, {formatTime(t0)} to{' '}
        {formatTime(t1)}; the line marks the raise
      </figcaption>
    </figure>
  );
}
