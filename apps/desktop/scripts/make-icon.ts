import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { deflateSync } from 'node:zlib';

// Draws the application icon (a water drop over two waves on a navy tile) as a 512×512 PNG in resources/,
// from which electron-builder derives the Windows .ico and macOS .icns. No image tools needed: the pixels are
// computed from signed distances and written with zlib.

const SIZE = 512;
const out = path.resolve(import.meta.dirname, '../resources/icon.png');

type Rgb = readonly [number, number, number];
const navy: Rgb = [14, 42, 71];
const teal: Rgb = [63, 182, 216];
const foam: Rgb = [232, 246, 252];

/** Coverage 0..1 of a pixel by a shape whose signed distance (negative inside) at its centre is `d`. */
const coverage = (d: number): number => Math.min(1, Math.max(0, 0.5 - d));

function roundedSquare(x: number, y: number): number {
  const half = SIZE / 2 - 8;
  const radius = 104;
  const qx = Math.abs(x - SIZE / 2) - (half - radius);
  const qy = Math.abs(y - SIZE / 2) - (half - radius);
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - radius;
}

/** A drop: a circle, and a point above it where the tangents from the tip meet. */
function drop(x: number, y: number): number {
  const cx = SIZE / 2;
  const cy = 250;
  const r = 92;
  const tipY = cy - 2 * r;
  const circle = Math.hypot(x - cx, y - cy) - r;
  // The tangents from a tip at twice the radius touch the circle half a radius above its centre.
  if (y >= cy - r / 2) return circle;
  // The cone from the tip, tangent to the circle: half-angle 30° for a tip at twice the radius.
  const slope = Math.tan(Math.PI / 6);
  const cone = (Math.abs(x - cx) - (y - tipY) * slope) * Math.cos(Math.PI / 6);
  return y < tipY ? Math.hypot(x - cx, y - tipY) : Math.min(circle, Math.max(cone, tipY - y));
}

/** A sine band of the given thickness around y = base + amplitude·sin(x). */
function wave(x: number, y: number, base: number): number {
  const centre = base + 14 * Math.sin((x / SIZE) * 4 * Math.PI);
  return Math.abs(y - centre) - 11;
}

function blend(under: Rgb, over: Rgb, alpha: number): Rgb {
  return [0, 1, 2].map((i) => Math.round((under[i] ?? 0) * (1 - alpha) + (over[i] ?? 0) * alpha)) as [
    number,
    number,
    number,
  ];
}

function pixels(): Buffer {
  // One filter byte (0: none) before each row of RGBA.
  const rowBytes = 1 + SIZE * 4;
  const data = Buffer.alloc(rowBytes * SIZE);
  for (let y = 0; y < SIZE; y += 1) {
    for (let x = 0; x < SIZE; x += 1) {
      const px = x + 0.5;
      const py = y + 0.5;
      let color = blend(navy, teal, coverage(drop(px, py)));
      color = blend(color, foam, coverage(wave(px, py, 390)));
      color = blend(color, teal, coverage(wave(px, py, 440)));
      const offset = y * rowBytes + 1 + x * 4;
      data[offset] = color[0];
      data[offset + 1] = color[1];
      data[offset + 2] = color[2];
      data[offset + 3] = Math.round(255 * coverage(roundedSquare(px, py)));
    }
  }
  return data;
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = (crcTable[(c ^ byte) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, body: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  const typed = Buffer.concat([Buffer.from(type, 'ascii'), body]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

const header = Buffer.alloc(13);
header.writeUInt32BE(SIZE, 0);
header.writeUInt32BE(SIZE, 4);
header[8] = 8; // bits per channel
header[9] = 6; // RGBA
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', header),
  chunk('IDAT', deflateSync(pixels(), { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
await mkdir(path.dirname(out), { recursive: true });
await writeFile(out, png);
console.log(`wrote ${path.relative(process.cwd(), out)} (${String(png.length)} bytes)`);
