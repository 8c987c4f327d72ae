import type { Alert, MapStyle, Zone } from '@tidewatch/shared';
import { MapLibreOverlay, type PickingInfo } from 'deck.gl';
import * as maplibregl from 'maplibre-gl';
import maplibreWorkerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import 'maplibre-gl/dist/maplibre-gl.css';
import { useEffect, useMemo, useRef, useState } from 'react';
import { basemapStyle } from './basemap-style.ts';
import { buildLayers, LABEL_ZOOM, pickedAsset, type MapPick } from './deck-layers.ts';
import { pipePath, pointsInView, type MapData } from './map-data.ts';
import { paintMap } from './map-paint.ts';
import { useMapStore } from './map-store.ts';

// A module worker from the bundle's own origin: the console's CSP allows no blob: workers.
maplibregl.setWorkerUrl(maplibreWorkerUrl);

const MAX_LABELS = 1500;
const PULSE_PERIOD_MS = 1200;

interface View {
  readonly zoom: number;
  readonly bounds: readonly [number, number, number, number];
}

function tooltipOf(data: MapData, picked: MapPick | null): string | null {
  if (!picked) return null;
  if (picked.kind === 'pipe') {
    const i = picked.index;
    return `${data.pipes.codes[i] ?? ''} · pipeline ${String(data.pipes.diametersMm[i] ?? '')} mm`;
  }
  const i = picked.index;
  return `${data.points.codes[i] ?? ''} · ${data.points.names[i] ?? ''}`;
}

/** The extent of some pipes, as MapLibre bounds, or null when none of them is on the map. */
function pipeBounds(data: MapData, ids: readonly string[]): maplibregl.LngLatBoundsLike | null {
  let west = Infinity;
  let south = Infinity;
  let east = -Infinity;
  let north = -Infinity;
  for (const id of ids) {
    const pipe = data.pipeIndexById.get(id);
    if (pipe === undefined) continue;
    for (const [lng, lat] of pipePath(data, pipe)) {
      west = Math.min(west, lng);
      east = Math.max(east, lng);
      south = Math.min(south, lat);
      north = Math.max(north, lat);
    }
  }
  return west === Infinity ? null : [west, south, east, north];
}

/**
 * The tenant on a MapLibre basemap with deck.gl layers on top. React renders only when the zoom band or the
 * labelled area changes; the camera moves inside MapLibre, and the critical pulse redraws deck.gl alone.
 */
export function TenantMap({
  data,
  alerts,
  zones,
  style,
}: {
  data: MapData;
  /** The console's live open alerts: they colour the map, so a change shows without reloading the network. */
  alerts: readonly Alert[];
  zones: readonly Zone[];
  style: MapStyle;
}) {
  const container = useRef<HTMLDivElement>(null);
  const mapRef = useRef<maplibregl.Map | null>(null);
  const overlayRef = useRef<MapLibreOverlay | null>(null);
  const [view, setView] = useState<View | null>(null);
  const [moving, setMoving] = useState(false);
  const [rendered, setRendered] = useState(false);
  const mode = useMapStore((state) => state.mode);
  const selectedAssetId = useMapStore((state) => state.selectedAssetId);
  const area = useMapStore((state) => state.area);
  const trace = useMapStore((state) => state.trace);
  const paint = useMemo(() => paintMap(data, alerts), [data, alerts]);
  // The network may be re-read (an import, an edit); the map keeps its camera, and picking reads the newest data.
  const dataRef = useRef(data);
  dataRef.current = data;

  useEffect(() => {
    const element = container.current;
    if (!element) return;
    let cancelled = false;
    let map: maplibregl.Map | null = null;
    void basemapStyle(style.styleUrl).then((mapStyle) => {
      if (cancelled) return;
      const [west, south, east, north] = dataRef.current.bbox ?? [-180, -60, 180, 75];
      map = new maplibregl.Map({
        container: element,
        style: mapStyle,
        bounds: [west, south, east, north],
        fitBoundsOptions: { padding: 40 },
        attributionControl: { compact: true, customAttribution: 'Natural Earth' },
        dragRotate: false,
        pitchWithRotate: false,
      });
      map.doubleClickZoom.disable();
      const overlay = new MapLibreOverlay({
        interleaved: false,
        layers: [],
        getCursor: ({ isHovering }) => (isHovering ? 'pointer' : 'grab'),
        getTooltip: (info: PickingInfo) => tooltipOf(dataRef.current, pickedAsset(dataRef.current, info)),
        onClick: (info: PickingInfo) => {
          const state = useMapStore.getState();
          if (state.mode.kind !== 'browse') return;
          const current = dataRef.current;
          const picked = pickedAsset(current, info);
          if (!picked) return;
          state.select(
            picked.kind === 'pipe'
              ? (current.pipes.ids[picked.index] ?? null)
              : (current.points.ids[picked.index] ?? null),
          );
        },
        onAfterRender: () => {
          setRendered(true);
        },
      });
      map.addControl(overlay);
      map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
      map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
      const report = (m: maplibregl.Map) => {
        const b = m.getBounds();
        setView({ zoom: m.getZoom(), bounds: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()] });
      };
      map.on('load', () => {
        if (map) report(map);
      });
      map.on('movestart', () => {
        setMoving(true);
      });
      map.on('moveend', () => {
        setMoving(false);
        if (map) report(map);
      });
      map.on('click', (event: maplibregl.MapMouseEvent) => {
        const state = useMapStore.getState();
        const at: [number, number] = [event.lngLat.lng, event.lngLat.lat];
        if (state.mode.kind === 'drawing') state.addVertex(at);
        else if (state.mode.kind === 'radius') state.setMode({ ...state.mode, center: at });
        else if (state.mode.kind === 'moving' && state.mode.to === null)
          state.setMode({ ...state.mode, to: at });
      });
      mapRef.current = map;
      overlayRef.current = overlay;
    });
    return () => {
      cancelled = true;
      map?.remove();
      mapRef.current = null;
      overlayRef.current = null;
    };
    // The map is built once per style and fitted to the first data; later data goes through the overlay's props.
  }, [style.styleUrl]);

  // A trace is fitted into view, so the operator sees where the water stops; an asset picked from a list or a
  // search is brought into view if it is not there already.
  useEffect(() => {
    const map = mapRef.current;
    if (!map || !trace) return;
    const bounds = pipeBounds(
      dataRef.current,
      trace.pipes.map((pipe) => pipe.id),
    );
    if (bounds) map.fitBounds(bounds, { padding: 60, maxZoom: 17, duration: 600 });
  }, [trace]);
  useEffect(() => {
    const map = mapRef.current;
    const index = selectedAssetId === null ? undefined : dataRef.current.pointIndexById.get(selectedAssetId);
    if (!map || index === undefined) return;
    const positions = dataRef.current.points.positions;
    const at: [number, number] = [positions[index * 2] ?? 0, positions[index * 2 + 1] ?? 0];
    if (!map.getBounds().contains(at)) map.easeTo({ center: at, zoom: Math.max(map.getZoom(), 15) });
  }, [selectedAssetId]);

  useEffect(() => {
    const overlay = overlayRef.current;
    if (!overlay || !view) return;
    const labelIndexes = view.zoom >= LABEL_ZOOM ? pointsInView(data.points, view.bounds, MAX_LABELS) : [];
    const render = (pulse: number) => {
      overlay.setProps({
        layers: buildLayers({
          paint,
          zones,
          zoom: view.zoom,
          pulse,
          labelIndexes,
          selectedAssetId,
          area,
          trace,
          mode,
          moving,
        }),
      });
    };
    render(0);
    if (paint.pulsing.length === 0) return;
    let frame = 0;
    const tick = (time: number) => {
      render((time % PULSE_PERIOD_MS) / PULSE_PERIOD_MS);
      frame = requestAnimationFrame(tick);
    };
    frame = requestAnimationFrame(tick);
    return () => {
      cancelAnimationFrame(frame);
    };
  }, [data, paint, zones, view, selectedAssetId, area, trace, mode, moving]);

  return (
    <div
      ref={container}
      className="tenant-map"
      data-testid="tenant-map"
      data-map-ready={rendered && view ? 'true' : 'false'}
      data-mode={mode.kind}
    />
  );
}
