import type * as maplibregl from 'maplibre-gl';

/**
 * Text and arrows drawn by the console itself, as images made when MapLibre first asks for them: labels need no
 * font server (glyphs), so the offline basemap and a tile server without fonts show codes and counts alike.
 * A resolver, not a `styleimagemissing` listener: MapLibre fires that event only after it has laid the symbols
 * out without the image (and warned), so every cluster count and label was laid out twice.
 */
export function provideMapSymbols(map: maplibregl.Map): void {
  map.setMissingStyleImageResolver((id) => {
    const image = symbolImage(id, Math.min(2, Math.max(1, Math.round(window.devicePixelRatio))));
    if (image && !map.hasImage(id)) map.addImage(id, image.data, { pixelRatio: image.ratio });
  });
}

function symbolImage(id: string, ratio: number): { data: ImageData; ratio: number } | null {
  if (id === 'flow-arrow') return { data: arrow(ratio), ratio };
  if (id.startsWith('count:')) return { data: text(id.slice(6), ratio, '#ffffff', null, 600), ratio };
  if (id.startsWith('label:')) return { data: text(id.slice(6), ratio, '#1e283c', '#ffffff', 400), ratio };
  return null;
}

/**
 * One canvas draws every symbol, read back at once: a canvas of its own per image (hundreds of cluster counts at
 * city scale) was a GPU-backed context each, created, drawn and read back through the GPU process in turn.
 * `willReadFrequently` keeps it in memory, where reading it back is a copy.
 */
let shared: CanvasRenderingContext2D | null = null;
function canvasOf(width: number, height: number): CanvasRenderingContext2D {
  if (!shared) {
    const context = document.createElement('canvas').getContext('2d', { willReadFrequently: true });
    if (!context) throw new Error('no 2D canvas');
    shared = context;
  }
  const { canvas } = shared;
  // Setting the size clears the canvas and resets its state (transform, font, styles).
  canvas.width = Math.max(1, width);
  canvas.height = Math.max(1, height);
  return shared;
}

/** A chevron pointing along the line (east in the image: MapLibre turns it with the line). */
function arrow(ratio: number): ImageData {
  const [w, h] = [12 * ratio, 10 * ratio];
  const c = canvasOf(w, h);
  c.scale(ratio, ratio);
  c.beginPath();
  c.moveTo(3, 1.5);
  c.lineTo(9, 5);
  c.lineTo(3, 8.5);
  c.lineJoin = 'round';
  c.lineCap = 'round';
  c.strokeStyle = 'rgba(20, 30, 50, 0.7)';
  c.lineWidth = 3.5;
  c.stroke();
  c.strokeStyle = '#ffffff';
  c.lineWidth = 1.8;
  c.stroke();
  return c.getImageData(0, 0, w, h);
}

const FONT_PX = 11;

function text(value: string, ratio: number, fill: string, halo: string | null, weight: number): ImageData {
  const font = `${String(weight)} ${String(FONT_PX)}px system-ui, sans-serif`;
  const measure = canvasOf(1, 1);
  measure.font = font;
  const pad = 3;
  // Measured before the canvas is sized for the image, which resets it.
  const width = Math.ceil(measure.measureText(value).width) + pad * 2;
  const height = FONT_PX + pad * 2;
  const c = canvasOf(width * ratio, height * ratio);
  c.scale(ratio, ratio);
  c.font = font;
  c.textAlign = 'center';
  c.textBaseline = 'middle';
  if (halo) {
    c.strokeStyle = halo;
    c.lineWidth = 3;
    c.lineJoin = 'round';
    c.strokeText(value, width / 2, height / 2);
  }
  c.fillStyle = fill;
  c.fillText(value, width / 2, height / 2);
  return c.getImageData(0, 0, width * ratio, height * ratio);
}
