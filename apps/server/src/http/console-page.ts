import { readFileSync } from 'node:fs';

/**
 * The web console's index.html as the server sends it. The build's Content-Security-Policy lets the page reach
 * only its own origin; the map's origins (see `mapOrigins`) are added for fetches and images, or the tile
 * server's basemap could not load.
 */
export function consolePage(indexHtmlPath: string, mapOrigins: readonly string[]): string {
  return allowOrigins(readFileSync(indexHtmlPath, 'utf8'), mapOrigins);
}

/** Adds `origins` to connect-src and img-src of the page's CSP `<meta>`. */
export function allowOrigins(html: string, origins: readonly string[]): string {
  if (origins.length === 0) return html;
  return html.replace(
    /(<meta http-equiv="Content-Security-Policy" content=")([^"]*)(")/,
    (_match, start: string, policy: string, end: string) =>
      start +
      policy
        .split(';')
        .map((directive) => {
          const name = directive.trim().split(/\s+/)[0];
          return name === 'connect-src' || name === 'img-src'
            ? `${directive.trimEnd()} ${origins.join(' ')}`
            : directive;
        })
        .join(';') +
      end,
  );
}
