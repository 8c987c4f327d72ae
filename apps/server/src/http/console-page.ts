import { readFileSync } from 'node:fs';

/**
 * The web console's index.html as the server sends it. The build's Content-Security-Policy lets the page reach
 * only its own origin; with MAP_STYLE_URL the tile server's origin is added for fetches and images, or the
 * basemap could not load.
 */
export function consolePage(indexHtmlPath: string, mapStyleUrl: string | undefined): string {
  const html = readFileSync(indexHtmlPath, 'utf8');
  return mapStyleUrl ? allowOrigin(html, new URL(mapStyleUrl).origin) : html;
}

/** Adds `origin` to connect-src and img-src of the page's CSP `<meta>`. */
export function allowOrigin(html: string, origin: string): string {
  return html.replace(
    /(<meta http-equiv="Content-Security-Policy" content=")([^"]*)(")/,
    (_match, start: string, policy: string, end: string) =>
      start +
      policy
        .split(';')
        .map((directive) => {
          const name = directive.trim().split(/\s+/)[0];
          return name === 'connect-src' || name === 'img-src'
            ? `${directive.trimEnd()} ${origin}`
            : directive;
        })
        .join(';') +
      end,
  );
}
