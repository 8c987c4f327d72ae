/** A tile of the slippy-map grid (web mercator): x and y run from 0 to 2^z - 1, from the top left. */
export interface SlippyTile {
  readonly z: number;
  readonly x: number;
  readonly y: number;
}

/** The tile holding a longitude and latitude at zoom z. */
export function tileOf(lng: number, lat: number, z: number): SlippyTile {
  const n = 2 ** z;
  const rad = (lat * Math.PI) / 180;
  return {
    z,
    x: Math.floor(((lng + 180) / 360) * n),
    y: Math.floor(((1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2) * n),
  };
}

/** A tile's edges in degrees. */
export function tileBounds({ z, x, y }: SlippyTile): {
  west: number;
  east: number;
  north: number;
  south: number;
} {
  const lng = (column: number) => (column / 2 ** z) * 360 - 180;
  const lat = (row: number) => (Math.atan(Math.sinh(Math.PI * (1 - (2 * row) / 2 ** z))) * 180) / Math.PI;
  return { west: lng(x), east: lng(x + 1), north: lat(y), south: lat(y + 1) };
}

/** The tile of zoom z (not above the tile's own) that covers the tile's top-left corner. */
export function descendantAt(tile: SlippyTile, z: number): SlippyTile {
  const scale = 2 ** (z - tile.z);
  return { z, x: tile.x * scale, y: tile.y * scale };
}
