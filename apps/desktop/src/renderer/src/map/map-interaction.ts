import type * as maplibregl from 'maplibre-gl';
import { useMapStore } from './map-store.ts';
import { AT_REST_LAYERS, NETWORK_SOURCE, PICKABLE_LAYERS } from './network-style.ts';

/** Pixels around the pointer a pick reaches: a thin pipe is hard to hit exactly. */
const PICK_SLOP_PX = 4;

type Picked = maplibregl.MapGeoJSONFeature;

function pickAt(map: maplibregl.Map, point: maplibregl.Point): Picked | null {
  const layers = PICKABLE_LAYERS.filter((layer) => map.getLayer(layer));
  const [hit] = map.queryRenderedFeatures(
    [
      [point.x - PICK_SLOP_PX, point.y - PICK_SLOP_PX],
      [point.x + PICK_SLOP_PX, point.y + PICK_SLOP_PX],
    ],
    { layers },
  );
  return hit ?? null;
}

function describe(feature: Picked): string {
  const p = feature.properties as Record<string, unknown>;
  const str = (value: unknown) =>
    typeof value === 'string' || typeof value === 'number' ? String(value) : '';
  if (feature.sourceLayer === 'clusters') return `${str(p.count)} assets`;
  if (feature.sourceLayer === 'pipes') return `${str(p.code)} · pipeline ${str(p.diameterMm)} mm`;
  return `${str(p.code)} · ${str(p.kind).replace('_', ' ')}`;
}

/**
 * Hover, click and the at-rest layers of the network map: a hovered asset is outlined (feature state) and
 * named in the tooltip; a click picks an asset, zooms into a cluster, or places a corner, a centre or a moved
 * asset, as the map's mode says. Zone fills and cluster counts are hidden while the camera moves.
 */
export function interactWithNetwork(map: maplibregl.Map, tooltip: HTMLDivElement | null): void {
  let hovered: { sourceLayer: string; id: string | number } | null = null;
  const setHover = (next: Picked | null) => {
    const id = next?.id;
    const target =
      next && id !== undefined && next.sourceLayer !== 'clusters'
        ? { sourceLayer: next.sourceLayer ?? '', id }
        : null;
    if (hovered && (hovered.id !== target?.id || hovered.sourceLayer !== target.sourceLayer)) {
      map.setFeatureState({ source: NETWORK_SOURCE, ...hovered }, { hover: false });
    }
    if (target) map.setFeatureState({ source: NETWORK_SOURCE, ...target }, { hover: true });
    hovered = target;
  };

  map.on('mousemove', (event: maplibregl.MapMouseEvent) => {
    // Dragging the map picks nothing: a query per mouse move would slow the drag itself.
    if (event.originalEvent.buttons !== 0) return;
    const picked = pickAt(map, event.point);
    setHover(picked);
    map.getCanvas().style.cursor = picked ? 'pointer' : '';
    if (!tooltip) return;
    tooltip.hidden = !picked;
    if (picked) {
      tooltip.textContent = describe(picked);
      tooltip.style.transform = `translate(${String(event.point.x + 12)}px, ${String(event.point.y + 12)}px)`;
    }
  });
  map.on('mouseout', () => {
    setHover(null);
    if (tooltip) tooltip.hidden = true;
  });

  map.on('click', (event: maplibregl.MapMouseEvent) => {
    const state = useMapStore.getState();
    const at: [number, number] = [event.lngLat.lng, event.lngLat.lat];
    if (state.mode.kind === 'drawing') {
      state.addVertex(at);
      return;
    }
    if (state.mode.kind === 'radius') {
      state.setMode({ ...state.mode, center: at });
      return;
    }
    if (state.mode.kind === 'moving') {
      if (state.mode.to === null) state.setMode({ ...state.mode, to: at });
      return;
    }
    const picked = pickAt(map, event.point);
    if (!picked) return;
    if (picked.sourceLayer === 'clusters') {
      map.easeTo({ center: event.lngLat, zoom: map.getZoom() + 2 });
      return;
    }
    const id = (picked.properties as { id?: unknown }).id;
    if (typeof id === 'string') state.select(id);
  });

  const showAtRest = (visible: boolean) => {
    for (const layer of AT_REST_LAYERS) {
      if (map.getLayer(layer)) map.setLayoutProperty(layer, 'visibility', visible ? 'visible' : 'none');
    }
  };
  map.on('movestart', () => {
    showAtRest(false);
  });
  map.on('moveend', () => {
    showAtRest(true);
  });
}
