/** MapLibre's world is this many pixels wide at zoom 0; the network's vector tiles are this size too. */
const WORLD_PX = 512;
/** Web Mercator stops here, as MapLibre does. */
const MAX_LATITUDE = 85.051129;

export interface Camera {
  readonly zoom: number;
  readonly lng: number;
  readonly lat: number;
}

export interface TileId {
  readonly z: number;
  readonly x: number;
  readonly y: number;
}

/** A longitude and latitude as Web Mercator coordinates from 0 to 1 (x eastwards, y southwards). */
function mercator(lng: number, lat: number): [number, number] {
  const clamped = Math.max(-MAX_LATITUDE, Math.min(MAX_LATITUDE, lat));
  const sin = Math.sin((clamped * Math.PI) / 180);
  return [(lng + 180) / 360, 0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI)];
}

function geographic(x: number, y: number): [number, number] {
  const lat = (Math.atan(Math.sinh(Math.PI * (1 - 2 * y))) * 180) / Math.PI;
  return [x * 360 - 180, lat];
}

/** The camera MapLibre's `fitBounds` gives a box in a view of `width` × `height` pixels with `padding` round it. */
export function fittedCamera(
  [west, south, east, north]: readonly [number, number, number, number],
  width: number,
  height: number,
  padding: number,
  maxZoom: number,
): Camera {
  const [x0, y0] = mercator(west, north);
  const [x1, y1] = mercator(east, south);
  const spanX = Math.max(x1 - x0, 1e-12) * WORLD_PX;
  const spanY = Math.max(y1 - y0, 1e-12) * WORLD_PX;
  const scale = Math.min((width - 2 * padding) / spanX, (height - 2 * padding) / spanY);
  const zoom = Math.min(maxZoom, Math.log2(Math.max(scale, 1e-12)));
  const [lng, lat] = geographic((x0 + x1) / 2, (y0 + y1) / 2);
  return { zoom, lng, lat };
}

/** The camera a map address holds (`#map=zoom/lat/lng`, as MapLibre writes it), if it holds one. */
export function cameraInHash(hash: string): Camera | null {
  const match = /(?:^#|&)map=([-\d.]+)\/([-\d.]+)\/([-\d.]+)/.exec(hash);
  if (!match) return null;
  const [zoom, lat, lng] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return Number.isFinite(zoom) && Number.isFinite(lat) && Number.isFinite(lng) ? { zoom, lng, lat } : null;
}

/**
 * The vector tiles MapLibre asks for first at `camera` in a view of `width` × `height` pixels (no bearing or
 * pitch): those of the whole zoom level below the camera's that the view covers.
 */
export function tilesInView(
  camera: Camera,
  width: number,
  height: number,
  minZoom: number,
  maxZoom: number,
): TileId[] {
  const z = Math.max(minZoom, Math.min(maxZoom, Math.floor(camera.zoom)));
  const tiles = 2 ** z;
  const worldPx = WORLD_PX * 2 ** camera.zoom;
  const [cx, cy] = mercator(camera.lng, camera.lat);
  const halfX = width / 2 / worldPx;
  const halfY = height / 2 / worldPx;
  // A view's far edge is exclusive: a view ending exactly on a tile's edge does not show that tile.
  const first = (at: number) => Math.floor(at * tiles);
  const last = (at: number) => Math.ceil(at * tiles) - 1;
  const clampRow = (row: number) => Math.max(0, Math.min(tiles - 1, row));
  const found: TileId[] = [];
  const seen = new Set<number>();
  for (let y = clampRow(first(cy - halfY)); y <= clampRow(last(cy + halfY)); y += 1) {
    for (let column = first(cx - halfX); column <= last(cx + halfX); column += 1) {
      // Past the antimeridian the same tiles come round again.
      const x = ((column % tiles) + tiles) % tiles;
      if (seen.has(y * tiles + x)) continue;
      seen.add(y * tiles + x);
      found.push({ z, x, y });
    }
  }
  return found;
}
