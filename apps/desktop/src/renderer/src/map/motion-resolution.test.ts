import type * as maplibregl from 'maplibre-gl';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { keepMotionFluid } from './motion-resolution.ts';

/** The part of a MapLibre map the module uses; a resize at rest fires a move, as MapLibre's does. */
class FakeMap {
  ratio = 2;
  ratiosSet: number[] = [];
  moving = false;
  private readonly handlers = new Map<string, (() => void)[]>();

  on(event: string, handler: () => void): this {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), handler]);
    return this;
  }
  fire(event: string): void {
    for (const handler of this.handlers.get(event) ?? []) handler();
  }
  getPixelRatio(): number {
    return this.ratio;
  }
  setPixelRatio(ratio: number): void {
    this.ratio = ratio;
    this.ratiosSet.push(ratio);
    if (!this.moving) {
      this.fire('movestart');
      this.fire('moveend');
    }
  }
}

let now = 0;
function drag(map: FakeMap, frames: number, frameMs: number): void {
  map.moving = true;
  map.fire('movestart');
  for (let frame = 0; frame < frames; frame += 1) {
    now += frameMs;
    map.fire('render');
  }
  map.moving = false;
  map.fire('moveend');
}

describe('the map while it moves without a GPU', () => {
  beforeEach(() => {
    vi.stubGlobal('window', { devicePixelRatio: 2 });
    vi.spyOn(performance, 'now').mockImplementation(() => now);
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  it('draws at half its pixel ratio once moving frames are slow, sharp again at rest, and half from the start of later moves', () => {
    const map = new FakeMap();
    keepMotionFluid(map as unknown as maplibregl.Map);

    drag(map, 8, 120);
    expect(map.ratiosSet).toEqual([1, 2]);
    expect(map.ratio).toBe(2);

    map.moving = true;
    map.fire('movestart');
    expect(map.ratio).toBe(1);
    map.moving = false;
    map.fire('moveend');
    expect(map.ratio).toBe(2);
  });

  it('never leaves full sharpness where frames keep up', () => {
    const map = new FakeMap();
    keepMotionFluid(map as unknown as maplibregl.Map);
    for (let move = 0; move < 5; move += 1) drag(map, 30, 16.7);
    expect(map.ratiosSet).toEqual([]);
    expect(map.ratio).toBe(2);
  });
});
