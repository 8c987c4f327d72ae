import { useState } from 'react';
import { describeError } from '../api/api-error.ts';
import { useZoneNames } from '../reference/reference-data.ts';
import { downloadAvailabilityCsv, useZoneAvailability, type Period } from './device-records-queries.ts';

const day = (date: Date) => date.toISOString().slice(0, 10);

/** The period of an up-time screen: the last 30 days up to tomorrow (today included) until the user picks one. */
export function usePeriod(): [Period, (period: Period) => void] {
  return useState<Period>(() => {
    const tomorrow = new Date(Date.now() + 86_400_000);
    return { from: day(new Date(tomorrow.getTime() - 30 * 86_400_000)), to: day(tomorrow) };
  });
}

export function AvailabilitySummary({
  uptimePercent,
  downtimeS,
}: {
  uptimePercent: number | null;
  downtimeS: number;
}) {
  return (
    <p data-testid="uptime">
      Up time: <strong>{uptimePercent === null ? '—' : `${uptimePercent.toFixed(2)} %`}</strong>{' '}
      <span className="muted">(down {(downtimeS / 3600).toFixed(1)} h)</span>
    </p>
  );
}

/** From and to days, and the server's CSV of the same period. */
export function PeriodPicker({
  period,
  onChange,
  target,
}: {
  period: Period;
  onChange: (period: Period) => void;
  target: { kind: 'devices' | 'zones'; id: string };
}) {
  const [error, setError] = useState<string | null>(null);
  return (
    <div className="admin__form">
      <label>
        From{' '}
        <input
          type="date"
          value={period.from}
          onChange={(e) => {
            if (e.target.value) onChange({ ...period, from: e.target.value });
          }}
        />
      </label>
      <label>
        To{' '}
        <input
          type="date"
          value={period.to}
          onChange={(e) => {
            if (e.target.value) onChange({ ...period, to: e.target.value });
          }}
        />
      </label>
      <button
        type="button"
        disabled={target.id === ''}
        onClick={() => {
          setError(null);
          downloadAvailabilityCsv(target, period).catch((failure: unknown) => {
            setError(describeError(failure));
          });
        }}
      >
        Download CSV
      </button>
      {error ? (
        <span role="alert" className="notice notice--error">
          {error}
        </span>
      ) : null}
    </div>
  );
}

/** Up time of a zone's devices over a period, each and together (the zone's SLA). */
export function ZoneAvailabilityAdmin({ tenantId }: { tenantId: string }) {
  const zones = useZoneNames(tenantId);
  const [zoneId, setZoneId] = useState('');
  const [period, setPeriod] = usePeriod();
  const availability = useZoneAvailability(zoneId, period);
  return (
    <section className="admin__section" aria-labelledby="zone-sla-heading" data-testid="zone-availability">
      <h2 id="zone-sla-heading">Zone up time (SLA)</h2>
      <label>
        Zone{' '}
        <select
          value={zoneId}
          onChange={(e) => {
            setZoneId(e.target.value);
          }}
        >
          <option value="">Choose a zone…</option>
          {[...(zones.data ?? new Map<string, string>())].map(([id, name]) => (
            <option key={id} value={id}>
              {name}
            </option>
          ))}
        </select>
      </label>
      <PeriodPicker period={period} onChange={setPeriod} target={{ kind: 'zones', id: zoneId }} />
      {availability.isError ? (
        <p role="alert" className="notice notice--error">
          {describeError(availability.error)}
        </p>
      ) : null}
      {availability.data ? (
        <>
          <AvailabilitySummary
            uptimePercent={availability.data.uptimePercent}
            downtimeS={availability.data.devices.reduce((sum, d) => sum + d.downtimeS, 0)}
          />
          <table className="admin__table" aria-label="Zone devices up time">
            <thead>
              <tr>
                <th>Device</th>
                <th>Up time</th>
                <th>Down (h)</th>
              </tr>
            </thead>
            <tbody>
              {availability.data.devices.map((d) => (
                <tr key={d.deviceId}>
                  <td>{d.name}</td>
                  <td>{d.uptimePercent === null ? '—' : `${d.uptimePercent.toFixed(2)} %`}</td>
                  <td>{(d.downtimeS / 3600).toFixed(1)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </section>
  );
}
