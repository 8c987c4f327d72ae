import type { HandoverReport, StoredReport } from '@tidewatch/shared';
import { useState } from 'react';
import { describeError } from '../api/api-error.ts';
import {
  downloadReport,
  useHandOver,
  useHandoverNow,
  useKeptReports,
  useTakeOver,
} from '../reports/report-queries.ts';
import { formatDateTime } from './format.ts';
import { PriorityLabel } from './priority-label.tsx';

const shiftLengths = [8, 12, 24] as const;

type Line = HandoverReport['standing'][number];

/** A reason as a sentence: one full stop, whether the operator typed one or not. */
const sentence = (text: string | null, otherwise: string): string =>
  `${(text ?? otherwise).replace(/[.\s]+$/, '')}.`;

function AlertLines({
  title,
  lines,
  describe,
}: {
  title: string;
  lines: readonly Line[];
  describe: (line: Line) => string;
}) {
  return (
    <section className="handover__section" aria-label={title}>
      <h3 className="detail__subtitle">
        {title} ({lines.length})
      </h3>
      {lines.length === 0 ? <p className="detail__muted">None.</p> : null}
      <ul className="handover__list">
        {lines.map((line, index) => (
          <li key={`${line.raisedAt} ${String(index)}`}>
            <PriorityLabel priority={line.priority} /> <strong>{line.ruleName}</strong>:{' '}
            {line.assetName ?? 'no asset'}
            {line.zoneName ? ` (${line.zoneName})` : ''}, raised {formatDateTime(line.raisedAt)}.{' '}
            {describe(line)}
          </li>
        ))}
      </ul>
    </section>
  );
}

function RatesAndDowntime({ report }: { report: HandoverReport }) {
  const { kpis, downtime } = report;
  const raised = kpis.raisedByPriority;
  return (
    <section className="handover__section" aria-label="Alarm rates and downtime">
      <h3 className="detail__subtitle">Alarm rates against EEMUA 191</h3>
      <p>
        Raised {raised.critical} critical, {raised.high} high, {raised.medium} medium, {raised.low} low;{' '}
        {kpis.averagePerHour.toFixed(1)} per hour ({kpis.averageVerdict}); busiest ten minutes{' '}
        {kpis.peakPer10Min} ({kpis.peakVerdict}).
      </p>
      <h3 className="detail__subtitle">Device downtime ({downtime.devices} devices)</h3>
      <ul className="handover__list">
        {downtime.longest.map((item) => (
          <li key={`${item.deviceName} ${item.startedAt}`}>
            {item.deviceName}
            {item.assetName ? ` (${item.assetName})` : ''}: {item.minutes} min
            {item.endedAt ? '' : ', still offline'}
          </li>
        ))}
      </ul>
    </section>
  );
}

function KeptReports({ tenantId }: { tenantId: string }) {
  const reports = useKeptReports(tenantId);
  const takeOver = useTakeOver(tenantId);
  const [error, setError] = useState<string | null>(null);
  const name = (report: StoredReport, ext: string) =>
    `${report.kind}-${(report.reportDate ?? report.periodEnd).slice(0, 10)}.${ext}`;
  return (
    <section className="handover__section" aria-label="Kept reports">
      <h3 className="detail__subtitle">Handovers and daily reports</h3>
      {error ? (
        <p role="alert" className="notice--error">
          {error}
        </p>
      ) : null}
      <table className="kpi-table">
        <thead>
          <tr>
            <th>Report</th>
            <th>Period</th>
            <th>By</th>
            <th>Taken over</th>
            <th>Files</th>
          </tr>
        </thead>
        <tbody>
          {(reports.data ?? []).map((report) => (
            <tr key={report.id} data-report-id={report.id}>
              <td>
                {report.kind === 'handover' ? 'Shift handover' : `Daily report ${report.reportDate ?? ''}`}
              </td>
              <td>
                {formatDateTime(report.periodStart)} to {formatDateTime(report.periodEnd)}
              </td>
              <td>{report.createdBy ?? 'Tidewatch'}</td>
              <td>
                {report.acknowledgedAt ? (
                  `${report.acknowledgedBy ?? ''}, ${formatDateTime(report.acknowledgedAt)}`
                ) : report.kind === 'handover' ? (
                  <button
                    type="button"
                    className="button"
                    disabled={takeOver.isPending}
                    onClick={() => {
                      setError(null);
                      takeOver.mutate(report.id, {
                        onError: (failure) => {
                          setError(describeError(failure));
                        },
                      });
                    }}
                  >
                    Take over
                  </button>
                ) : (
                  '—'
                )}
              </td>
              <td>
                <button
                  type="button"
                  className="button"
                  onClick={() => void downloadReport(`/reports/${report.id}/pdf`, name(report, 'pdf'))}
                >
                  PDF
                </button>{' '}
                <button
                  type="button"
                  className="button"
                  onClick={() => void downloadReport(`/reports/${report.id}/csv`, name(report, 'csv'))}
                >
                  CSV
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/**
 * The shift handover: what the outgoing operator leaves standing, set aside (with who and why) and open, the
 * shift's alarm rates and device downtime, with notes for the incoming one; handed over (kept, with the PDF the
 * server makes) and taken over by the incoming operator. Daily operations reports are listed beside.
 */
export function HandoverView({ tenantId }: { tenantId: string }) {
  const [hours, setHours] = useState<number>(12);
  const [notes, setNotes] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const report = useHandoverNow(tenantId, hours);
  const handOver = useHandOver(tenantId);
  const data = report.data;
  const day = new Date().toISOString().slice(0, 10);
  const query = { hours, notes: notes.trim() || undefined };
  const download = (path: string, file: string) => {
    setProblem(null);
    downloadReport(path, file, query).catch((error: unknown) => {
      setProblem(describeError(error));
    });
  };
  return (
    <section className="handover" aria-label="Shift handover">
      <div className="kpis__toolbar">
        <label>
          Shift{' '}
          <select
            value={hours}
            onChange={(event) => {
              setHours(Number(event.target.value));
            }}
          >
            {shiftLengths.map((length) => (
              <option key={length} value={length}>
                last {length} h
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          className="button button--primary"
          disabled={handOver.isPending}
          onClick={() => {
            setProblem(null);
            handOver.mutate(
              { hours, notes: notes.trim() || null },
              {
                onError: (error) => {
                  setProblem(describeError(error));
                },
              },
            );
          }}
        >
          Hand over
        </button>
        <button
          type="button"
          className="button"
          onClick={() => {
            download('/reports/handover.pdf', `handover-${day}.pdf`);
          }}
        >
          Download handover PDF
        </button>
        <button
          type="button"
          className="button"
          onClick={() => {
            download('/reports/handover.csv', `handover-${day}.csv`);
          }}
        >
          CSV
        </button>
        {problem ? (
          <span role="alert" className="notice--error">
            {problem}
          </span>
        ) : null}
      </div>
      <label className="handover__notes">
        Notes for the incoming shift
        <textarea
          value={notes}
          maxLength={4000}
          rows={3}
          onChange={(event) => {
            setNotes(event.target.value);
          }}
        />
      </label>
      {report.isError ? <p className="notice notice--error">{describeError(report.error)}</p> : null}
      {data ? (
        <>
          <p className="detail__muted">
            {data.tenantName}: {formatDateTime(data.from)} to {formatDateTime(data.to)}. In the shift{' '}
            {data.shiftEvents.raised} alarms raised, {data.shiftEvents.acknowledged} acknowledged,{' '}
            {data.shiftEvents.cleared} cleared.
          </p>
          <AlertLines
            title="Standing alarms"
            lines={data.standing}
            describe={(line) =>
              line.state === 'active_acknowledged'
                ? `Acknowledged by ${line.who ?? 'unknown'}.`
                : line.state === 'returned_unacknowledged'
                  ? 'Cleared, not acknowledged.'
                  : 'Not acknowledged.'
            }
          />
          <AlertLines
            title="Shelved alarms"
            lines={data.shelved}
            describe={(line) =>
              `Shelved by ${line.who ?? 'the system'} until ${line.until ? formatDateTime(line.until) : '—'}: ${sentence(line.why, 'no reason given')}`
            }
          />
          <AlertLines
            title="Out of service"
            lines={data.outOfService}
            describe={(line) => `By ${line.who ?? 'unknown'}: ${sentence(line.why, 'no reason given')}`}
          />
          <section className="handover__section" aria-label="Open incidents">
            <h3 className="detail__subtitle">Open incidents ({data.incidents.length})</h3>
            <ul className="handover__list">
              {data.incidents.map((incident) => (
                <li key={incident.reference}>
                  <strong>{incident.reference}</strong> {incident.title} ({incident.status.replace('_', ' ')}
                  ), assigned to {incident.assignee ?? 'nobody'}
                </li>
              ))}
            </ul>
          </section>
          <RatesAndDowntime report={data} />
        </>
      ) : null}
      <KeptReports tenantId={tenantId} />
    </section>
  );
}
