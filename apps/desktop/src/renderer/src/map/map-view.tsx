import { useState } from 'react';
import type { Alert, Role, Zone } from '@tidewatch/shared';
import { describeError } from '../api/api-error.ts';
import { useAlertFeed } from '../alerts/alert-feed.ts';
import { AssetDetailPanel } from '../assets/asset-detail-panel.tsx';
import { AreaTools } from './area-tools.tsx';
import { traceDownstream, useMapData, useMapStyle, useZoneOutlines } from './map-queries.ts';
import { useMapStore } from './map-store.ts';
import { TenantMap } from './tenant-map.tsx';
import './map.css';

const NO_ZONES: readonly Zone[] = [];
const NO_ALERTS: readonly Alert[] = [];

/** While an asset is being moved: what the next click does, and a way out. */
function MovingHint() {
  const mode = useMapStore((state) => state.mode);
  const setMode = useMapStore((state) => state.setMode);
  if (mode.kind !== 'moving') return null;
  return (
    <p className="notice" role="status" data-testid="moving-hint">
      Click the map where {mode.code} stands.{' '}
      <button
        type="button"
        onClick={() => {
          setMode({ kind: 'browse' });
        }}
      >
        Cancel
      </button>
    </p>
  );
}

/** The map screen: the tenant's network, spatial tools, and the detail of the asset picked. */
export function MapView({
  tenantId,
  role,
  onOpenTrend,
}: {
  tenantId: string;
  role: Role;
  onOpenTrend?: (seriesIds: number[]) => void;
}) {
  const data = useMapData(tenantId);
  const style = useMapStyle(tenantId);
  const zones = useZoneOutlines(tenantId);
  const alerts = useAlertFeed(tenantId);
  const selected = useMapStore((state) => state.selectedAssetId);
  const select = useMapStore((state) => state.select);
  const showTrace = useMapStore((state) => state.showTrace);
  const [traceError, setTraceError] = useState<string | null>(null);

  const failure = data.error ?? style.error;
  return (
    <div className="map-view">
      <AreaTools />
      <MovingHint />
      {traceError ? (
        <p role="alert" className="notice notice--error">
          {traceError}
        </p>
      ) : null}
      <div className="map-view__body">
        {failure ? (
          <p role="alert" className="notice notice--error">
            {describeError(failure)}
          </p>
        ) : data.data && style.data ? (
          <TenantMap
            data={data.data}
            alerts={alerts.data ?? NO_ALERTS}
            zones={zones.data ?? NO_ZONES}
            style={style.data}
          />
        ) : (
          <p className="notice">Loading the map…</p>
        )}
        {selected ? (
          <AssetDetailPanel
            key={selected}
            assetId={selected}
            role={role}
            onClose={() => {
              select(null);
            }}
            {...(onOpenTrend ? { onOpenTrend } : {})}
            onTraceDownstream={(pipeId) => {
              setTraceError(null);
              traceDownstream(pipeId).then(showTrace, (error: unknown) => {
                setTraceError(`The downstream trace failed: ${describeError(error)}`);
              });
            }}
          />
        ) : null}
      </div>
    </div>
  );
}
