import type { Config } from '../../config.ts';

/**
 * Every origin the console's map loads from: MAP_STYLE_URL's and MAP_TILE_ORIGINS (tiles, glyphs and sprites
 * a style may keep elsewhere). Content security policies name exactly these; empty for the offline basemap.
 */
export function mapOrigins(config: Pick<Config, 'MAP_STYLE_URL' | 'MAP_TILE_ORIGINS'>): string[] {
  if (!config.MAP_STYLE_URL) return [];
  return [...new Set([new URL(config.MAP_STYLE_URL).origin, ...config.MAP_TILE_ORIGINS])];
}
