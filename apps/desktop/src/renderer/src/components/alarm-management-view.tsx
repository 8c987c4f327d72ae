import type { AlertKpis } from '@tidewatch/shared';
import { useState } from 'react';
import { useAlertFlood } from '../alerts/alert-flood.ts';
import {
  kpiRanges,
  MANAGEABLE_PER_HOUR,
  MAXIMUM_PER_HOUR,
  rateBand,
  useAlertKpis,
} from '../alerts/alert-kpis.ts';
import { describeError } from '../api/api-error.ts';
import { AlertRulesPanel } from './alert-rules-panel.tsx';
import { formatAge, formatDateTime, formatTime } from './format.ts';
import { PriorityLabel, StateBadge } from './priority-label.tsx';

const CHART_HEIGHT = 140;
const BAR_GAP = 1;

const formatSeconds = (seconds: number | null) => {
  if (seconds === null) return '—';
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
};

/** Alerts per hour as bars, with the 6/hour and 12/hour guidance lines; bars above them change colour. */
function RateChart({ kpis }: { kpis: AlertKpis }) {
  const hours = kpis.alertsPerHour;
  const top = Math.max(MAXIMUM_PER_HOUR * 1.25, ...hours.map((hour) => hour.count));
  const width = Math.max(hours.length, 1) * 8;
  const y = (count: number) => CHART_HEIGHT - (count / top) * CHART_HEIGHT;
  return (
    <figure className="kpi-chart">
      <svg
        viewBox={`0 0 ${width} ${CHART_HEIGHT}`}
        preserveAspectRatio="none"
        className="kpi-chart__svg"
        role="img"
        aria-label="Alerts per hour"
      >
        {hours.map((hour, index) => (
          <rect
            key={hour.hour}
            x={index * 8 + BAR_GAP}
            width={8 - 2 * BAR_GAP}
            y={y(hour.count)}
            height={CHART_HEIGHT - y(hour.count)}
            className={`kpi-bar kpi-bar--${rateBand(hour.count)}`}
          >
            <title>{`${formatDateTime(hour.hour)}: ${hour.count}`}</title>
          </rect>
        ))}
        <line
          x1={0}
          x2={width}
          y1={y(MANAGEABLE_PER_HOUR)}
          y2={y(MANAGEABLE_PER_HOUR)}
          className="kpi-guide"
        />
        <line
          x1={0}
          x2={width}
          y1={y(MAXIMUM_PER_HOUR)}
          y2={y(MAXIMUM_PER_HOUR)}
          className="kpi-guide kpi-guide--max"
        />
      </svg>
      <figcaption className="detail__muted">
        Alerts per hour; dashed lines at {MANAGEABLE_PER_HOUR}/h (manageable) and {MAXIMUM_PER_HOUR}/h (too
        many).
      </figcaption>
    </figure>
  );
}

function Tile({ label, value, band }: { label: string; value: string; band?: string }) {
  return (
    <div className={`kpi-tile${band ? ` kpi-tile--${band}` : ''}`}>
      <span className="kpi-tile__value">{value}</span>
      <span className="kpi-tile__label">{label}</span>
    </div>
  );
}

/** For supervisors: how the alarm system is doing against ISA-18.2's guidance, and the rules that drive it. */
export function AlarmManagementView({ tenantId }: { tenantId: string }) {
  const [hours, setHours] = useState<number>(kpiRanges[0].hours);
  const kpis = useAlertKpis(tenantId, hours);
  const flood = useAlertFlood(tenantId).data;
  const data = kpis.data;
  const hoursOverMax = data?.alertsPerHour.filter((hour) => hour.count > MAXIMUM_PER_HOUR).length ?? 0;
  return (
    <section className="kpis" aria-label="Alarm management">
      <div className="kpis__toolbar">
        <label>
          <span className="visually-hidden">Range</span>
          <select
            value={hours}
            onChange={(event) => {
              setHours(Number(event.target.value));
            }}
          >
            {kpiRanges.map((range) => (
              <option key={range.hours} value={range.hours}>
                {range.label}
              </option>
            ))}
          </select>
        </label>
        {data ? (
          <span className="detail__muted">
            {formatDateTime(data.from)} to {formatTime(data.to)}
          </span>
        ) : null}
      </div>
      {kpis.isError ? <p className="notice notice--error">{describeError(kpis.error)}</p> : null}
      {kpis.isPending ? <p className="notice">Loading…</p> : null}
      {data ? (
        <>
          <div className="kpi-tiles">
            <Tile
              label={`alerts per hour on average (aim ≤ ${MANAGEABLE_PER_HOUR})`}
              value={data.averagePerHour.toFixed(1)}
              band={rateBand(data.averagePerHour)}
            />
            <Tile
              label={`hours above ${MAXIMUM_PER_HOUR}/h`}
              value={String(hoursOverMax)}
              band={hoursOverMax > 0 ? 'over' : 'ok'}
            />
            <Tile
              label={
                flood?.active
                  ? `in flood now (${flood.count} in ${Math.round(flood.windowS / 60)} min)`
                  : 'no flood now'
              }
              value={flood?.active ? 'Flood' : 'Calm'}
              band={flood?.active ? 'flood' : 'ok'}
            />
            <Tile label="standing alerts (older than a day)" value={String(data.standing.count)} />
            <Tile
              label={`median time to acknowledge (p90 ${formatSeconds(data.timeToAcknowledge.p90S)}, ${data.timeToAcknowledge.count} acks)`}
              value={formatSeconds(data.timeToAcknowledge.medianS)}
            />
          </div>
          <RateChart kpis={data} />
          <div className="kpi-tables">
            <div>
              <h3 className="detail__subtitle">Most frequent alerts</h3>
              <table className="kpi-table">
                <thead>
                  <tr>
                    <th>Alarm</th>
                    <th>Target</th>
                    <th>Count</th>
                  </tr>
                </thead>
                <tbody>
                  {data.topFrequent.map((entry) => (
                    <tr key={`${entry.ruleId} ${entry.targetKey}`}>
                      <td>{entry.ruleName}</td>
                      <td title={entry.targetKey}>{entry.targetName}</td>
                      <td className="cell--number">{entry.count}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <div>
              <h3 className="detail__subtitle">Standing alerts, oldest first</h3>
              <table className="kpi-table">
                <thead>
                  <tr>
                    <th>Priority</th>
                    <th>State</th>
                    <th>Alarm</th>
                    <th>Standing for</th>
                  </tr>
                </thead>
                <tbody>
                  {data.standing.oldest.map((alert) => (
                    <tr key={alert.id}>
                      <td>
                        <PriorityLabel priority={alert.priority} />
                      </td>
                      <td>
                        <StateBadge state={alert.state} />
                      </td>
                      <td>{alert.ruleName}</td>
                      <td>{formatAge(alert.raisedAt, Date.now())}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </div>
        </>
      ) : null}
      <AlertRulesPanel tenantId={tenantId} />
    </section>
  );
}
