import { can, type Role } from '@tidewatch/shared';
import { useState, type SyntheticEvent } from 'react';
import { describeError } from '../api/api-error.ts';
import { useAsset, useAssetDevices, useSparklines } from '../assets/asset-queries.ts';
import { formatDateTime, formatValue } from '../components/format.ts';
import { assetPosition, directionsUrl } from './directions.ts';
import { enqueue } from './field-sync.ts';

/** `datetime-local` speaks local time without a zone; the API wants an instant. */
const localNow = () => {
  const now = new Date();
  return new Date(now.getTime() - now.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};

function LogWorkForm({ assetId, label }: { assetId: string; label: string }) {
  const [workDone, setWorkDone] = useState('');
  const [partsUsed, setPartsUsed] = useState('');
  const [startedAt, setStartedAt] = useState(localNow);
  const [status, setStatus] = useState<string | null>(null);
  const submit = async (event: SyntheticEvent) => {
    event.preventDefault();
    const started = new Date(startedAt);
    if (Number.isNaN(started.getTime())) {
      setStatus('When did the work start?');
      return;
    }
    await enqueue(`Work on ${label}`, {
      kind: 'maintenance-log',
      assetId,
      workDone: workDone.trim(),
      partsUsed: partsUsed.trim() || null,
      startedAt: started.toISOString(),
      finishedAt: new Date().toISOString(),
    });
    setWorkDone('');
    setPartsUsed('');
    setStatus('Work log sent to the queue');
  };
  return (
    <form className="field-form" onSubmit={(event) => void submit(event)} aria-label="Log work">
      <h3>Log work</h3>
      <label className="field">
        <span>Work done</span>
        <textarea
          value={workDone}
          onChange={(event) => {
            setWorkDone(event.target.value);
          }}
          rows={3}
          required
        />
      </label>
      <label className="field">
        <span>Parts used</span>
        <input
          value={partsUsed}
          onChange={(event) => {
            setPartsUsed(event.target.value);
          }}
        />
      </label>
      <label className="field">
        <span>Started</span>
        <input
          type="datetime-local"
          value={startedAt}
          onChange={(event) => {
            setStartedAt(event.target.value);
          }}
          required
        />
      </label>
      <button type="submit" className="button button--primary">
        Save work log
      </button>
      {status ? <p role="status">{status}</p> : null}
    </form>
  );
}

/** One asset as the crew in front of it needs it: what it reads now, how to get there, and the work log. */
export function FieldAssetScreen({ id, role }: { id: string; role: Role }) {
  const asset = useAsset(id);
  const devices = useAssetDevices(id);
  const series = (devices.data ?? []).flatMap((device) => device.series);
  const live = useSparklines(series.map((s) => s.id));
  if (asset.isError) return <p className="notice notice--error">{describeError(asset.error)}</p>;
  if (!asset.data) return <p className="notice">Loading the asset…</p>;
  const { properties } = asset.data;
  const position = assetPosition(asset.data);
  return (
    <article className="field-detail" aria-label="Asset">
      <h2>
        {properties.name} <span className="field-card__meta">{properties.code}</span>
      </h2>
      <p className="field-card__meta">
        {properties.kind}
        {properties.inMaintenance ? ` · in maintenance: ${properties.maintenanceReason ?? ''}` : ''}
      </p>
      {position ? (
        <p>
          <a className="button" href={directionsUrl(position, navigator.userAgent)} data-testid="directions">
            Directions
          </a>
        </p>
      ) : null}
      <h3>Live values</h3>
      {series.length === 0 ? <p className="notice">No sensors on this asset.</p> : null}
      <dl className="field-facts" aria-label="Live values">
        {series.map((s) => {
          const points = live.data?.series.find((line) => line.seriesId === s.id)?.points ?? [];
          const last = points[points.length - 1];
          return (
            <div key={s.id} className="field-facts__row">
              <dt>{s.metricKey}</dt>
              <dd>
                {last ? `${formatValue(last[1])} ${s.unit}` : '—'}
                {last ? <span className="field-card__meta"> · {formatDateTime(last[0])}</span> : null}
              </dd>
            </div>
          );
        })}
      </dl>
      {can(role, 'maintenance_log:write') ? <LogWorkForm assetId={id} label={properties.code} /> : null}
    </article>
  );
}
