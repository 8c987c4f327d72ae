import type * as maplibregl from 'maplibre-gl';

/** Frames slower than this while the camera moves (under 25 a second) mean the renderer cannot keep up. */
const SLOW_FRAME_MS = 40;
/** Frames measured before judging: the first frame of a move also uploads what the move brought into view. */
const FRAMES_JUDGED = 4;
/** The share of the screen's pixel ratio drawn while moving on a renderer found slow. */
const MOTION_SCALE = 0.5;

/**
 * Keeps panning and zooming fluid where WebGL runs without a GPU (a virtual machine, a remote desktop, a
 * control-room thin client, SwiftShader): when frames drawn while the camera moves are slow, the map draws at
 * half its pixel ratio until the camera stops, and at full sharpness again at rest. A renderer found slow starts
 * every later move at half; one with a GPU never leaves full sharpness.
 */
export function keepMotionFluid(map: maplibregl.Map): void {
  // The screen's own ratio, read each time: the window may have moved to another screen.
  const sharp = () => window.devicePixelRatio;
  let slowRenderer = false;
  let moving = false;
  let lastFrameAt = 0;
  let frameMs: number[] = [];

  // A new pixel ratio resizes the map, which at rest fires a move of its own: that one is not the operator's.
  let resizing = false;
  const drawAt = (ratio: number) => {
    if (map.getPixelRatio() === ratio) return;
    resizing = true;
    try {
      map.setPixelRatio(ratio);
    } finally {
      resizing = false;
    }
  };
  const blur = () => {
    drawAt(sharp() * MOTION_SCALE);
  };

  map.on('movestart', () => {
    if (resizing) return;
    moving = true;
    lastFrameAt = 0;
    frameMs = [];
    if (slowRenderer) blur();
  });
  map.on('render', () => {
    if (!moving || slowRenderer) return;
    const now = performance.now();
    if (lastFrameAt > 0) frameMs.push(now - lastFrameAt);
    lastFrameAt = now;
    if (frameMs.length < FRAMES_JUDGED) return;
    const sorted = [...frameMs].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
    frameMs = [];
    if (median > SLOW_FRAME_MS) {
      slowRenderer = true;
      blur();
    }
  });
  map.on('moveend', () => {
    if (resizing) return;
    moving = false;
    drawAt(sharp());
  });
}
