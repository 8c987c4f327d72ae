import { useQueryClient } from '@tanstack/react-query';
import {
  CLUSTER_BELOW_ZOOM,
  DENSE_CLUSTER_BELOW_ZOOM,
  MAX_TILE_ZOOM,
  type Alert,
  type AssetFeature,
  type MapExtent,
  type MapStyle,
  type MapVersion,
} from '@tidewatch/shared';
import * as maplibregl from 'maplibre-gl';
import maplibreWorkerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import 'maplibre-gl/dist/maplibre-gl.css';
import { useEffect, useMemo, useRef, useState } from 'react';
import { apiRequest } from '../api/api-client.ts';
import { alarmStates, changedStates, pulsingIds, type AlarmState } from './alarm-states.ts';
import { basemapStyle } from './basemap-style.ts';
import { drawingFeatures } from './map-drawing.ts';
import { interactWithNetwork } from './map-interaction.ts';
import { keepMotionFluid } from './motion-resolution.ts';
import { useMapStore } from './map-store.ts';
import { provideMapSymbols } from './map-symbols.ts';
import {
  CLUSTER_LAYERS,
  DRAWING_SOURCE,
  emptyDrawing,
  HEALTH_LAYER,
  highlightFilters,
  NETWORK_SOURCE,
  networkLayers,
  networkSource,
  tagFilters,
  type Highlights,
} from './network-style.ts';
import { prefetchNetworkTiles, registerNetworkTiles } from './network-tiles.ts';
import { cameraInHash, fittedCamera, tilesInView } from './first-view.ts';
import { useAssetHealthList } from '../health/health-queries.ts';

// A module worker from the bundle's own origin: the console's CSP allows no blob: workers.
maplibregl.setWorkerUrl(maplibreWorkerUrl);
registerNetworkTiles();

const PULSE_PERIOD_MS = 1200;
/** The pulse is redrawn at this rate: smooth enough for a ring, a third of the frames of a 60 Hz animation. */
const PULSE_FRAME_MS = 50;
const WORLD: [number, number, number, number] = [-180, -60, 180, 75];
/** Pixels kept clear round the network when the map is fitted to it. */
const FIT_PADDING = 40;

/** Every coordinate of a GeoJSON geometry, for its bounds. */
function coordinatesOf(geometry: GeoJSON.Geometry): number[][] {
  switch (geometry.type) {
    case 'Point':
      return [geometry.coordinates];
    case 'LineString':
    case 'MultiPoint':
      return geometry.coordinates;
    case 'MultiLineString':
    case 'Polygon':
      return geometry.coordinates.flat();
    case 'MultiPolygon':
      return geometry.coordinates.flat(2);
    default:
      return [];
  }
}

function boundsOf(geometries: readonly GeoJSON.Geometry[]): maplibregl.LngLatBounds | null {
  const bounds = new maplibregl.LngLatBounds();
  let any = false;
  for (const geometry of geometries) {
    for (const [lng = 0, lat = 0] of coordinatesOf(geometry)) {
      bounds.extend([lng, lat]);
      any = true;
    }
  }
  return any ? bounds : null;
}

/**
 * Whether the map may be showing clustered tiles, whose colours come from the tile (the worst alarm of each
 * cluster): always zoomed out; at zoom 12 to 14 where a dense tile's clusters are loaded.
 */
function showsClusters(map: maplibregl.Map): boolean {
  const zoom = map.getZoom();
  if (zoom < CLUSTER_BELOW_ZOOM) return true;
  if (zoom >= DENSE_CLUSTER_BELOW_ZOOM) return false;
  return map.querySourceFeatures(NETWORK_SOURCE, { sourceLayer: 'clusters' }).length > 0;
}

/** Sets each changed asset's alarm state on both layers an asset id may be in (a point or a pipe). */
function applyStates(map: maplibregl.Map, changed: ReadonlyMap<string, AlarmState>): void {
  for (const [id, state] of changed) {
    for (const sourceLayer of ['points', 'pipes']) {
      map.setFeatureState(
        { source: NETWORK_SOURCE, sourceLayer, id },
        { alarm: state.alarm, unacknowledged: state.unacknowledged },
      );
    }
  }
}

/**
 * The tenant's network drawn by MapLibre from the server's vector tiles, over the basemap, in one canvas. The
 * map is set up while the network's extent is asked for; tiles are fetched again only when the network version
 * moves (an edit, an import), and alarm colours come from the live alert feed as feature state, without a tile.
 */
export function TenantMap({
  style,
  extent,
  version,
  alerts,
  serverUrl,
}: {
  /** Where the basemap comes from; undefined while asked for. */
  style: MapStyle | undefined;
  /** Where the network lies; undefined while asked for. */
  extent: MapExtent | undefined;
  version: MapVersion | undefined;
  /** The console's live open alerts: they colour the map, so a change shows without fetching tiles. */
  alerts: readonly Alert[];
  serverUrl: string;
}) {
  const queryClient = useQueryClient();
  const container = useRef<HTMLDivElement>(null);
  const tooltip = useRef<HTMLDivElement>(null);
  const [map, setMap] = useState<maplibregl.Map | null>(null);
  const [network, setNetwork] = useState(false);
  const [rendered, setRendered] = useState(false);
  const mode = useMapStore((state) => state.mode);
  const selectedAssetId = useMapStore((state) => state.selectedAssetId);
  const area = useMapStore((state) => state.area);
  const trace = useMapStore((state) => state.trace);
  const isolation = useMapStore((state) => state.isolation);
  const tag = useMapStore((state) => state.tag);
  // The tag whose filter the layers have (for whoever checks what the map shows).
  const [appliedTag, setAppliedTag] = useState('');
  const states = useMemo(() => alarmStates(alerts), [alerts]);
  const pulsing = useMemo(() => pulsingIds(states), [states]);
  const highlights = useMemo<Highlights>(
    () => ({
      points: [
        ...(area?.items.map((item) => item.id) ?? []),
        ...(trace?.assets.map((asset) => asset.id) ?? []),
        ...(isolation
          ? [...isolation.section.assets, ...isolation.lostSupply.assets].map((asset) => asset.id)
          : []),
        ...(selectedAssetId ? [selectedAssetId] : []),
      ],
      tracedPipes: trace?.pipes.filter((pipe) => pipe.depth > 0).map((pipe) => pipe.id) ?? [],
      originPipes: trace ? [trace.pipeId] : isolation ? [isolation.pipeId] : [],
      closeValves: isolation?.valves.map((valve) => valve.id) ?? [],
      isolatedPipes: isolation
        ? [...isolation.section.pipes, ...isolation.lostSupply.pipes].map((pipe) => pipe.id)
        : [],
      pulsing,
    }),
    [area, trace, isolation, selectedAssetId, pulsing],
  );
  // Read when the network is added, so it starts with what is highlighted and coloured by then.
  const latest = useRef({ highlights, version, extent });
  latest.current = { highlights, version, extent };
  const applied = useRef(new Map<string, AlarmState>());
  // The camera the page was opened on (a shared view), which the extent must not move. Read before the map
  // exists: once built, the map writes its own camera into the address.
  const openedOnCamera = useRef(cameraInHash(window.location.hash));
  const loaded = useRef<{ network: number; alarms: number } | null>(null);

  // The first view's tiles are asked for as soon as the extent and version are known, before the map exists: the
  // server cuts them while the map loads its basemap, starts its worker and draws its first frames.
  const prefetched = useRef(false);
  useEffect(() => {
    const element = container.current;
    if (prefetched.current || !element || !extent || !version) return;
    prefetched.current = true;
    const { clientWidth: width, clientHeight: height } = element;
    const camera =
      openedOnCamera.current ??
      (extent.bbox ? fittedCamera(extent.bbox, width, height, FIT_PADDING, MAX_TILE_ZOOM) : null);
    if (!camera || width === 0 || height === 0) return;
    prefetchNetworkTiles(tilesInView(camera, width, height, 0, MAX_TILE_ZOOM), version.network);
  }, [extent, version]);

  // The basemap first: its style is asked for while the extent is, and the map is built as soon as it is known.
  const styleUrl = style?.styleUrl ?? null;
  const offlineStylePath = style?.offlineStylePath ?? null;
  const styleKnown = style !== undefined;
  useEffect(() => {
    const element = container.current;
    if (!element || !styleKnown) return;
    let cancelled = false;
    let built: maplibregl.Map | null = null;
    void basemapStyle({ styleUrl, offlineStylePath }, serverUrl).then((basemap) => {
      if (cancelled) return;
      const bbox = latest.current.extent?.bbox ?? WORLD;
      built = new maplibregl.Map({
        container: element,
        style: basemap.style,
        bounds: [bbox[0], bbox[1], bbox[2], bbox[3]],
        fitBoundsOptions: { padding: FIT_PADDING },
        attributionControl: {
          compact: true,
          ...(basemap.kind === 'natural-earth' ? { customAttribution: 'Natural Earth' } : {}),
        },
        // The camera is kept in the address (`#map=zoom/lat/lng`): a view can be shared, or reopened after a reload.
        hash: 'map',
        dragRotate: false,
        pitchWithRotate: false,
        fadeDuration: 0,
      });
      built.doubleClickZoom.disable();
      built.touchZoomRotate.disableRotation();
      built.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
      built.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
      provideMapSymbols(built);
      keepMotionFluid(built);
      const ready = built;
      // The network is added once the style is parsed, not after the basemap's first full render ('load'):
      // its tiles are then asked for while the basemap's own sources are still being cut.
      built.once('style.load', () => {
        setMap(ready);
      });
    });
    return () => {
      cancelled = true;
      built?.remove();
      setMap(null);
      setNetwork(false);
      setRendered(false);
      applied.current = new Map();
      loaded.current = null;
    };
  }, [styleKnown, styleUrl, offlineStylePath, serverUrl]);

  // The network once the map and its extent are known: the camera first, so the first tiles are the right ones.
  const extentKnown = extent !== undefined;
  useEffect(() => {
    if (!map || !extentKnown || network) return;
    const { bbox } = latest.current.extent ?? { bbox: null };
    if (bbox && !openedOnCamera.current)
      map.fitBounds([bbox[0], bbox[1], bbox[2], bbox[3]], { padding: FIT_PADDING, duration: 0 });
    const current = latest.current.version ?? null;
    loaded.current = current ? { network: current.network, alarms: current.alarms } : null;
    map.addSource(NETWORK_SOURCE, networkSource(current));
    map.addSource(DRAWING_SOURCE, emptyDrawing);
    for (const layer of networkLayers(latest.current.highlights)) map.addLayer(layer);
    const onRender = () => {
      if (!map.isSourceLoaded(NETWORK_SOURCE)) return;
      map.off('render', onRender);
      setRendered(true);
    };
    map.on('render', onRender);
    interactWithNetwork(map, tooltip.current);
    setNetwork(true);
  }, [map, extentKnown, network]);

  // Alarm colours: only the assets whose state changed are touched; the tiles stay as they are.
  useEffect(() => {
    if (!map || !network) return;
    const changed = changedStates(applied.current, states);
    applyStates(map, changed);
    applied.current = states;
  }, [map, network, states]);

  useEffect(() => {
    if (!map || !network) return;
    for (const [layer, filter] of Object.entries(highlightFilters(highlights))) map.setFilter(layer, filter);
  }, [map, network, highlights]);

  useEffect(() => {
    if (!map || !network) return;
    for (const [layer, filter] of tagFilters(tag)) map.setFilter(layer, filter);
    for (const layer of CLUSTER_LAYERS) map.setLayoutProperty(layer, 'visibility', tag ? 'none' : 'visible');
    setAppliedTag(tag);
  }, [map, network, tag]);

  useEffect(() => {
    if (!map || !network) return;
    void map.getSource<maplibregl.GeoJSONSource>(DRAWING_SOURCE)?.setData(drawingFeatures(mode));
  }, [map, network, mode]);

  // Health colouring: each asset's score as feature state, like the alarms, so no tile is fetched for it.
  const colourByHealth = useMapStore((state) => state.colourByHealth);
  const health = useAssetHealthList(colourByHealth);
  const [healthColoured, setHealthColoured] = useState(0);
  useEffect(() => {
    if (!map || !network) return;
    map.setLayoutProperty(HEALTH_LAYER, 'visibility', colourByHealth ? 'visible' : 'none');
    setHealthColoured(colourByHealth ? (health.data?.items.length ?? 0) : 0);
    if (!colourByHealth) return;
    for (const item of health.data?.items ?? []) {
      map.setFeatureState(
        { source: NETWORK_SOURCE, sourceLayer: 'points', id: item.assetId },
        { health: item.score },
      );
    }
  }, [map, network, colourByHealth, health.data]);

  // New tiles when the network changed; zoomed out, also when alarms moved, for the clusters' colours.
  useEffect(() => {
    if (!map || !network || !version) return;
    const held = loaded.current;
    if (held && held.network === version.network && held.alarms === version.alarms) return;
    if (!held || held.network !== version.network) {
      loaded.current = { network: version.network, alarms: version.alarms };
      if (held) map.refreshTiles(NETWORK_SOURCE);
      return;
    }
    // Up close the tiles hold no alarm colour the console uses: wait until the operator zooms out (or, at zoom 12
    // to 14, where only dense tiles are clustered, until clusters are on the map).
    const refreshClusters = () => {
      if (!showsClusters(map)) return;
      map.off('zoomend', refreshClusters);
      loaded.current = { network: version.network, alarms: version.alarms };
      map.refreshTiles(NETWORK_SOURCE);
    };
    map.on('zoomend', refreshClusters);
    refreshClusters();
    return () => {
      map.off('zoomend', refreshClusters);
    };
  }, [map, network, version]);

  // Unacknowledged critical assets pulse: a ring that grows and fades, the only layer that changes per frame.
  useEffect(() => {
    if (!map || !network || !rendered || pulsing.length === 0) return;
    const timer = window.setInterval(() => {
      const phase = (performance.now() % PULSE_PERIOD_MS) / PULSE_PERIOD_MS;
      map.setPaintProperty('pulse', 'circle-radius', 8 * (1 + phase * 1.6));
      map.setPaintProperty('pulse', 'circle-stroke-opacity', 1 - phase);
    }, PULSE_FRAME_MS);
    return () => {
      window.clearInterval(timer);
    };
  }, [map, network, rendered, pulsing.length]);

  // A trace or an isolation plan is fitted into view, so the operator sees where the water stops.
  const fitted = useMemo(
    () =>
      trace
        ? { pipeId: trace.pipeId, ids: trace.pipes.map((pipe) => pipe.id) }
        : isolation
          ? {
              pipeId: isolation.pipeId,
              ids: [...isolation.section.pipes, ...isolation.lostSupply.pipes].map((pipe) => pipe.id),
            }
          : null,
    [trace, isolation],
  );
  useEffect(() => {
    if (!map || !network || !fitted) return;
    const { ids } = fitted;
    const drawn = map.querySourceFeatures(NETWORK_SOURCE, {
      sourceLayer: 'pipes',
      filter: ['in', ['get', 'id'], ['literal', ids]],
    });
    const fit = (bounds: maplibregl.LngLatBounds | null) => {
      if (bounds) map.fitBounds(bounds, { padding: 60, maxZoom: 17, duration: 600 });
    };
    if (drawn.length > 0) {
      fit(boundsOf(drawn.map((feature) => feature.geometry)));
      return;
    }
    void apiRequest<AssetFeature>(`/assets/${encodeURIComponent(fitted.pipeId)}`).then(
      (pipe) => {
        fit(boundsOf([pipe.geometry]));
      },
      () => undefined,
    );
  }, [map, network, fitted]);

  // An asset picked from a list or a search is brought into view if it is not there already.
  useEffect(() => {
    if (!map || !network || !selectedAssetId) return;
    let cancelled = false;
    void queryClient
      .query({
        queryKey: ['asset', selectedAssetId],
        queryFn: ({ signal }) =>
          apiRequest<AssetFeature>(`/assets/${encodeURIComponent(selectedAssetId)}`, { signal }),
      })
      .then(
        (asset) => {
          const bounds = boundsOf([asset.geometry]);
          if (cancelled || !bounds) return;
          const view = map.getBounds();
          if (view.contains(bounds.getSouthWest()) && view.contains(bounds.getNorthEast())) return;
          map.easeTo({ center: bounds.getCenter(), zoom: Math.max(map.getZoom(), 15) });
        },
        () => undefined,
      );
    return () => {
      cancelled = true;
    };
  }, [map, network, selectedAssetId, queryClient]);

  return (
    <div
      ref={container}
      className="tenant-map"
      data-testid="tenant-map"
      data-map-ready={rendered ? 'true' : 'false'}
      data-mode={mode.kind}
      data-health-coloured={healthColoured}
      data-tag-filter={appliedTag}
    >
      <div ref={tooltip} className="tenant-map__tooltip" role="tooltip" hidden />
    </div>
  );
}
