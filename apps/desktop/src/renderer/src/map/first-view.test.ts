import { describe, expect, it } from 'vitest';
import { cameraInHash, fittedCamera, tilesInView } from './first-view.ts';

/** The slippy-map tile of a point (the OpenStreetMap wiki's formula, independent of the module's). */
function slippyTile(lng: number, lat: number, z: number): { x: number; y: number } {
  const n = 2 ** z;
  const rad = (lat * Math.PI) / 180;
  return {
    x: Math.floor(((lng + 180) / 360) * n),
    y: Math.floor(((1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2) * n),
  };
}

describe('the first view of the network map', () => {
  it('fits the whole world into one 512-pixel tile at zoom 0', () => {
    const camera = fittedCamera([-180, -85.051129, 180, 85.051129], 512, 512, 0, 22);
    expect(camera.zoom).toBeCloseTo(0, 6);
    expect(camera.lng).toBeCloseTo(0, 6);
    expect(camera.lat).toBeCloseTo(0, 4);
    expect(tilesInView(camera, 512, 512, 0, 22)).toEqual([{ z: 0, x: 0, y: 0 }]);
  });

  it('asks for the tiles MapLibre asked for when fitted to a city network in a 1600 × 777 view', () => {
    // The benchmark's network round Hyderabad: MapLibre fitted it at zoom 10.58 and asked for these six tiles.
    const bbox = [78.2231184427057, 17.294321019831735, 78.52917595923837, 17.60021810223872] as const;
    const camera = fittedCamera(bbox, 1600, 777, 40, 22);
    expect(camera.zoom).toBeGreaterThan(10.5);
    expect(camera.zoom).toBeLessThan(10.65);
    const tiles = tilesInView(camera, 1600, 777, 0, 22);
    expect(tiles.map(({ z, x, y }) => `${String(z)}/${String(x)}/${String(y)}`).sort()).toEqual(
      ['10/733/461', '10/733/462', '10/734/461', '10/734/462', '10/735/461', '10/735/462'].sort(),
    );
    // Every corner of the network lies in a tile asked for.
    for (const [lng, lat] of [
      [bbox[0], bbox[1]],
      [bbox[2], bbox[3]],
      [bbox[0], bbox[3]],
      [bbox[2], bbox[1]],
    ] as const) {
      const corner = slippyTile(lng, lat, 10);
      expect(tiles).toContainEqual({ z: 10, ...corner });
    }
  });

  it('keeps to the zoom levels the tiles exist at, and wraps round the antimeridian', () => {
    const close = tilesInView({ zoom: 24.3, lng: 78.4, lat: 17.4 }, 100, 100, 0, 22);
    expect(close.every((tile) => tile.z === 22)).toBe(true);
    const across = tilesInView({ zoom: 3, lng: 180, lat: 0 }, 600, 300, 0, 22);
    expect(across.map((tile) => tile.x).sort((a, b) => a - b)).toEqual([0, 0, 7, 7]);
  });

  it('reads the camera of a shared map address, and nothing else', () => {
    expect(cameraInHash('#map=14.5/17.44/78.39')).toEqual({ zoom: 14.5, lat: 17.44, lng: 78.39 });
    expect(cameraInHash('#view=alerts&map=9/-33.9/18.4')).toEqual({ zoom: 9, lat: -33.9, lng: 18.4 });
    expect(cameraInHash('')).toBeNull();
    expect(cameraInHash('#mapx=1/2/3')).toBeNull();
  });
});
