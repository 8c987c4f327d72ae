import type { AreaSearchResult, DownstreamTrace, IsolationPlan } from '@tidewatch/shared';
import { create } from 'zustand';

export type LngLat = readonly [number, number];

/** What a click on the map does: pick an asset, add a corner to an outline, place a circle's centre or an asset. */
export type MapMode =
  | { readonly kind: 'browse' }
  | { readonly kind: 'drawing'; readonly vertices: readonly LngLat[] }
  | { readonly kind: 'radius'; readonly center: LngLat | null; readonly radiusM: number }
  /** An asset being moved: the next click is where it stands (`to`), then the editor saves it. */
  | { readonly kind: 'moving'; readonly assetId: string; readonly code: string; readonly to: LngLat | null };

interface MapState {
  readonly mode: MapMode;
  readonly selectedAssetId: string | null;
  readonly area: AreaSearchResult | null;
  readonly trace: DownstreamTrace | null;
  readonly isolation: IsolationPlan | null;
  /** Whether the map rings each asset with its health score's colour (from GET /asset-health). */
  readonly colourByHealth: boolean;
  setColourByHealth: (on: boolean) => void;
  /** Only assets with this tag are drawn ('' for all). */
  readonly tag: string;
  select: (assetId: string | null) => void;
  setMode: (mode: MapMode) => void;
  addVertex: (vertex: LngLat) => void;
  showArea: (area: AreaSearchResult | null) => void;
  showTrace: (trace: DownstreamTrace | null) => void;
  showIsolation: (isolation: IsolationPlan | null) => void;
  filterByTag: (tag: string) => void;
}

export const useMapStore = create<MapState>()((set) => ({
  mode: { kind: 'browse' },
  selectedAssetId: null,
  area: null,
  trace: null,
  isolation: null,
  colourByHealth: false,
  setColourByHealth: (colourByHealth) => {
    set({ colourByHealth });
  },
  tag: '',
  select: (selectedAssetId) => {
    set({ selectedAssetId });
  },
  setMode: (mode) => {
    set({ mode });
  },
  addVertex: (vertex) => {
    set((state) =>
      state.mode.kind === 'drawing'
        ? { mode: { kind: 'drawing', vertices: [...state.mode.vertices, vertex] } }
        : {},
    );
  },
  showArea: (area) => {
    set({ area });
  },
  showTrace: (trace) => {
    set({ trace, isolation: null });
  },
  showIsolation: (isolation) => {
    set({ isolation, trace: null });
  },
  filterByTag: (tag) => {
    set({ tag });
  },
}));

/** The outline as a closed GeoJSON ring, or null while it has fewer than three corners. */
export function closedRing(vertices: readonly LngLat[]): [number, number][] | null {
  const first = vertices[0];
  if (vertices.length < 3 || !first) return null;
  return [...vertices.map(([lng, lat]): [number, number] => [lng, lat]), [first[0], first[1]]];
}
