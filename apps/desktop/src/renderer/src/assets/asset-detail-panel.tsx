import { useQueryClient } from '@tanstack/react-query';
import { can, type Role } from '@tidewatch/shared';
import { useState } from 'react';
import { describeError } from '../api/api-error.ts';
import { PriorityLabel, stateLabels } from '../components/priority-label.tsx';
import { networkChanged } from '../map/map-queries.ts';
import { AssetEditor } from './asset-editor.tsx';
import { AssetHistory } from './asset-history.tsx';
import { CommandPanel } from './command-panel.tsx';
import { setMaintenance, useAsset, useAssetAlerts, useAssetDevices, useSparklines } from './asset-queries.ts';
import { Sparkline } from './sparkline.tsx';
import { TankForecast } from '../dma/tank-forecast.tsx';
import { AssetHealthPanel } from '../health/asset-health-panel.tsx';

const formatValue = (value: number): string =>
  Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 10 ? value.toFixed(1) : value.toFixed(2);

const formatTime = (iso: string | null): string => (iso ? new Date(iso).toLocaleString() : 'never');

export interface AssetDetailProps {
  readonly assetId: string;
  readonly role: Role;
  readonly onClose: () => void;
  /** Opens the trend view on these series. */
  readonly onOpenTrend?: (seriesIds: number[]) => void;
  /** Pipelines only: highlight what a burst of this pipe affects. */
  readonly onTraceDownstream?: (pipeId: string) => void;
  readonly onPlanIsolation?: (pipeId: string) => void;
}

/** Everything an operator needs about one asset: live values, alerts, devices, maintenance and commands. */
export function AssetDetailPanel({
  assetId,
  role,
  onClose,
  onOpenTrend,
  onTraceDownstream,
  onPlanIsolation,
}: AssetDetailProps) {
  const queryClient = useQueryClient();
  const asset = useAsset(assetId);
  const devices = useAssetDevices(assetId);
  const openAlerts = useAssetAlerts(assetId, true);
  const recentAlerts = useAssetAlerts(assetId, false);
  const series = (devices.data ?? []).flatMap((device) => device.series);
  const sparklines = useSparklines(series.map((s) => s.id));
  const [error, setError] = useState<string | null>(null);

  const feature = asset.data;
  if (asset.isError) return <aside className="asset-detail">{describeError(asset.error)}</aside>;
  if (!feature) return <aside className="asset-detail">Loading…</aside>;
  const props = feature.properties;

  const toggleMaintenance = () => {
    setError(null);
    setMaintenance(
      assetId,
      !props.inMaintenance,
      props.inMaintenance ? undefined : 'Set from the console',
    ).then(
      (updated) => {
        queryClient.setQueryData(['asset', assetId], updated);
        // The map greys assets in maintenance: its tiles follow the network version this moved.
        void networkChanged(queryClient);
      },
      (failure: unknown) => {
        setError(describeError(failure));
      },
    );
  };

  return (
    <aside className="asset-detail" aria-label={`Asset ${props.code}`} data-testid="asset-detail">
      <header className="asset-detail__header">
        <h2>
          {props.code} <small>{props.name}</small>
        </h2>
        <button type="button" aria-label="Close asset detail" onClick={onClose}>
          ×
        </button>
      </header>
      <p className="muted">
        {props.kind.replace('_', ' ')}
        {props.diameterMm ? ` · ${String(props.diameterMm)} mm` : ''}
        {props.material ? ` · ${props.material.replace('_', ' ')}` : ''}
        {props.inMaintenance ? ` · in maintenance (${props.maintenanceReason ?? 'no reason'})` : ''}
        {props.archivedAt ? ` · archived ${formatTime(props.archivedAt)}` : ''}
      </p>
      {props.tags.length > 0 ? (
        <p className="asset-detail__tags" data-testid="asset-tags-shown">
          {props.tags.map((tag) => (
            <span key={tag} className="asset-detail__tag">
              {tag}
            </span>
          ))}
        </p>
      ) : null}
      <div className="asset-detail__actions">
        {can(role, 'asset:maintenance') ? (
          <button type="button" onClick={toggleMaintenance}>
            {props.inMaintenance ? 'End maintenance' : 'Start maintenance'}
          </button>
        ) : null}
        {props.kind === 'pipeline' && onTraceDownstream ? (
          <button
            type="button"
            onClick={() => {
              onTraceDownstream(assetId);
            }}
          >
            Trace downstream
          </button>
        ) : null}
        {props.kind === 'pipeline' && onPlanIsolation ? (
          <button
            type="button"
            onClick={() => {
              onPlanIsolation(assetId);
            }}
          >
            Plan isolation
          </button>
        ) : null}
        {series.length > 0 && onOpenTrend ? (
          <button
            type="button"
            onClick={() => {
              onOpenTrend(series.map((s) => s.id));
            }}
          >
            Open trend
          </button>
        ) : null}
      </div>
      {error ? (
        <p role="alert" className="notice notice--error">
          {error}
        </p>
      ) : null}
      {can(role, 'asset:write') && props.archivedAt === null ? (
        <AssetEditor key={feature.id} feature={feature} />
      ) : null}

      <TankForecast assetId={assetId} kind={props.kind} />
      <AssetHealthPanel assetId={assetId} />

      <h3>Live values</h3>
      {series.length === 0 ? <p className="muted">No metrics.</p> : null}
      <table className="asset-detail__values">
        <tbody>
          {series.map((s) => {
            const points = sparklines.data?.series.find((line) => line.seriesId === s.id)?.points ?? [];
            const last = points[points.length - 1];
            return (
              <tr key={s.id} data-series-id={s.id}>
                <th scope="row">{s.metricKey}</th>
                <td className="asset-detail__value">{last ? `${formatValue(last[1])} ${s.unit}` : '—'}</td>
                <td>
                  <Sparkline values={points.map((p) => p[1])} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>

      <h3>Open alerts</h3>
      {(openAlerts.data ?? []).length === 0 ? <p className="muted">None.</p> : null}
      <ul className="asset-detail__alerts">
        {(openAlerts.data ?? []).map((alert) => (
          <li key={alert.id}>
            <PriorityLabel priority={alert.priority} /> {alert.message} <em>{stateLabels[alert.state]}</em>
          </li>
        ))}
      </ul>

      <h3>Recently closed</h3>
      <ul className="asset-detail__alerts">
        {(recentAlerts.data ?? []).map((alert) => (
          <li key={alert.id}>
            <PriorityLabel priority={alert.priority} compact /> {alert.message} · {formatTime(alert.closedAt)}
          </li>
        ))}
      </ul>

      <h3>Devices</h3>
      <ul>
        {(devices.data ?? []).map((device) => (
          <li key={device.id}>
            {device.name} · <span data-connectivity={device.connectivity}>{device.connectivity}</span> · last
            seen {formatTime(device.lastSeenAt)}
            {device.disabled ? ' · disabled' : ''}
          </li>
        ))}
      </ul>

      {can(role, 'command:send') ? (
        <>
          <h3>Commands</h3>
          <CommandPanel devices={devices.data ?? []} />
        </>
      ) : null}

      <AssetHistory assetId={assetId} canLog={can(role, 'maintenance_log:write')} />
    </aside>
  );
}
