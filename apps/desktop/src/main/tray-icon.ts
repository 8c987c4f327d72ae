/**
 * The tray icon, drawn in code so the app ships no image files: a filled disc, teal when everything is
 * acknowledged and amber with a dark centre when something waits, so the difference is a shape and not a hue
 * alone. Returns BGRA pixels for `nativeImage.createFromBitmap`.
 */
export function trayIconBitmap(size: number, waiting: boolean): Buffer {
  const pixels = Buffer.alloc(size * size * 4);
  const centre = (size - 1) / 2;
  const radius = size / 2 - 0.5;
  const [blue, green, red] = waiting ? [0x2e, 0xa8, 0xf5] : [0xa6, 0xb8, 0x2a];
  for (let y = 0; y < size; y += 1) {
    for (let x = 0; x < size; x += 1) {
      const distance = Math.hypot(x - centre, y - centre);
      if (distance > radius) continue;
      const offset = (y * size + x) * 4;
      const hole = waiting && distance < radius * 0.38;
      pixels[offset] = hole ? 0x17 : blue;
      pixels[offset + 1] = hole ? 0x11 : green;
      pixels[offset + 2] = hole ? 0x0b : red;
      pixels[offset + 3] = 0xff;
    }
  }
  return pixels;
}

export function badgeTooltip(count: number): string {
  if (count === 0) return 'Tidewatch: no unacknowledged alerts';
  return `Tidewatch: ${count} unacknowledged alert${count === 1 ? '' : 's'}`;
}
