import { useState } from 'react';
import { describeError } from '../api/api-error.ts';
import { AssetFinder } from './asset-finder.tsx';
import type { Role } from '@tidewatch/shared';
import { DownstreamTraceList } from './downstream-trace-list.tsx';
import { IsolationPlanPanel } from './isolation-plan-panel.tsx';
import { searchArea } from './map-queries.ts';
import { closedRing, useMapStore } from './map-store.ts';

const DEFAULT_RADIUS_M = 500;

/**
 * Find an asset by code; draw an outline or place a circle and list what lies inside; list a downstream trace
 * (answered by PostGIS) or a pipe's isolation plan.
 */
export function AreaTools({ role }: { role: Role }) {
  const mode = useMapStore((state) => state.mode);
  const area = useMapStore((state) => state.area);
  const trace = useMapStore((state) => state.trace);
  const isolation = useMapStore((state) => state.isolation);
  const setMode = useMapStore((state) => state.setMode);
  const showArea = useMapStore((state) => state.showArea);
  const showTrace = useMapStore((state) => state.showTrace);
  const showIsolation = useMapStore((state) => state.showIsolation);
  const select = useMapStore((state) => state.select);
  const [error, setError] = useState<string | null>(null);
  const [asked, setAsked] = useState<string>('');

  const run = (request: Parameters<typeof searchArea>[0]) => {
    setError(null);
    setAsked(JSON.stringify(request));
    searchArea(request).then(
      (result) => {
        showArea(result);
        setMode({ kind: 'browse' });
      },
      (failure: unknown) => {
        setError(describeError(failure));
      },
    );
  };

  const ring = mode.kind === 'drawing' ? closedRing(mode.vertices) : null;
  return (
    <div className="area-tools" role="toolbar" aria-label="Map tools">
      <AssetFinder />
      <button
        type="button"
        aria-pressed={mode.kind === 'drawing'}
        onClick={() => {
          setMode({ kind: 'drawing', vertices: [] });
        }}
      >
        Select area
      </button>
      <button
        type="button"
        aria-pressed={mode.kind === 'radius'}
        onClick={() => {
          setMode({ kind: 'radius', center: null, radiusM: DEFAULT_RADIUS_M });
        }}
      >
        Radius
      </button>
      {mode.kind === 'drawing' ? (
        <>
          <span className="muted">Click the corners of the area ({mode.vertices.length})</span>
          <button
            type="button"
            disabled={!ring}
            onClick={() => {
              if (ring) run({ polygon: { type: 'Polygon', coordinates: [ring] } });
            }}
          >
            Finish area
          </button>
        </>
      ) : null}
      {mode.kind === 'radius' ? (
        <>
          <label>
            Metres{' '}
            <input
              type="number"
              min={1}
              max={100_000}
              value={mode.radiusM}
              onChange={(e) => {
                setMode({ ...mode, radiusM: Number(e.target.value) || DEFAULT_RADIUS_M });
              }}
            />
          </label>
          <button
            type="button"
            disabled={!mode.center}
            onClick={() => {
              if (mode.center) run({ center: [mode.center[0], mode.center[1]], radiusM: mode.radiusM });
            }}
          >
            Search circle
          </button>
        </>
      ) : null}
      {mode.kind !== 'browse' || area || trace || isolation ? (
        <button
          type="button"
          onClick={() => {
            setMode({ kind: 'browse' });
            showArea(null);
            showTrace(null);
            showIsolation(null);
          }}
        >
          Clear
        </button>
      ) : null}
      {error ? (
        <p role="alert" className="notice notice--error">
          {error}
        </p>
      ) : null}
      {area ? (
        <div className="area-tools__result" data-testid="area-result" data-request={asked}>
          <p>
            <strong data-testid="area-count">{area.items.length}</strong> assets in the area
            {area.truncated ? ' (first ones only)' : ''}
          </p>
          <ul>
            {area.items.map((item) => (
              <li key={item.id} data-asset-id={item.id}>
                <button
                  type="button"
                  className="link"
                  onClick={() => {
                    select(item.id);
                  }}
                >
                  {item.code}
                </button>{' '}
                {item.name}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {trace ? <DownstreamTraceList trace={trace} /> : null}
      {isolation ? <IsolationPlanPanel plan={isolation} role={role} /> : null}
    </div>
  );
}
