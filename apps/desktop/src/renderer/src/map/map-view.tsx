import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { Alert, Role } from '@tidewatch/shared';
import { describeError } from '../api/api-error.ts';
import { useAlertFeed } from '../alerts/alert-feed.ts';
import { AssetDetailPanel } from '../assets/asset-detail-panel.tsx';
import { AreaTools } from './area-tools.tsx';
import { useSessionStore } from '../session/session-store.ts';
import {
  networkChanged,
  planIsolation,
  traceDownstream,
  useMapExtent,
  useMapStyle,
  useMapVersion,
} from './map-queries.ts';
import { useMapStore } from './map-store.ts';
import { TagFilter } from './tag-filter.tsx';
import { TenantMap } from './tenant-map.tsx';
import './map.css';

const NO_ALERTS: readonly Alert[] = [];
/** Alarm changes come in bursts: the version is asked for once they settle. */
const ALARM_VERSION_DELAY_MS = 2000;

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
  // Asked for at once and together: the map builds itself on the basemap while the extent is on its way.
  const style = useMapStyle(tenantId);
  const extent = useMapExtent(tenantId);
  const version = useMapVersion(tenantId);
  const alerts = useAlertFeed(tenantId);
  const serverUrl = useSessionStore((state) => state.session?.serverUrl ?? window.location.origin);
  const queryClient = useQueryClient();
  const selected = useMapStore((state) => state.selectedAssetId);
  const select = useMapStore((state) => state.select);
  const showTrace = useMapStore((state) => state.showTrace);
  const showIsolation = useMapStore((state) => state.showIsolation);
  const [traceError, setTraceError] = useState<string | null>(null);

  // Alarms moved: zoomed out, the clusters' colours come from the tiles, so the version is asked for soon.
  useEffect(() => {
    if (!alerts.data) return;
    const timer = window.setTimeout(() => {
      void networkChanged(queryClient);
    }, ALARM_VERSION_DELAY_MS);
    return () => {
      window.clearTimeout(timer);
    };
  }, [alerts.data, queryClient]);

  const failure = style.error ?? extent.error;
  return (
    <div className="map-view">
      <AreaTools role={role} />
      <HealthToggle />
      <TagFilter />
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
        ) : (
          <TenantMap
            style={style.data}
            extent={extent.data}
            version={version.data}
            alerts={alerts.data ?? NO_ALERTS}
            serverUrl={serverUrl}
          />
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
            onPlanIsolation={(pipeId) => {
              setTraceError(null);
              planIsolation(pipeId).then(showIsolation, (error: unknown) => {
                setTraceError(`The isolation plan failed: ${describeError(error)}`);
              });
            }}
          />
        ) : null}
      </div>
    </div>
  );
}

/** Rings each asset with the colour of its health score: green 80+, amber 50+, red below. */
function HealthToggle() {
  const on = useMapStore((state) => state.colourByHealth);
  const setOn = useMapStore((state) => state.setColourByHealth);
  return (
    <label className="map-view__toggle">
      <input
        type="checkbox"
        checked={on}
        onChange={(event) => {
          setOn(event.target.checked);
        }}
      />{' '}
      Colour by health
    </label>
  );
}
