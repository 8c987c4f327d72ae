/**
 * The console's Content-Security-Policy. One builder serves the `<meta>` of the web build and the header the
 * Electron app protocol sends, so the browser console and the desktop enforce the same rules.
 */
export interface CspOptions {
  /** Origins beyond the page's own that fetch and WebSocket may reach (the API server). */
  readonly connectSources?: readonly string[];
  /** The map's tile server origins (style, tiles, glyphs, sprites): fetched and drawn as images. */
  readonly mapSources?: readonly string[];
  /** Vite's dev server injects inline scripts and styles and talks to its HMR socket. */
  readonly development?: boolean;
  /** `frame-ancestors` is ignored (and warned about) in a `<meta>`; only a header can carry it. */
  readonly delivery: 'meta' | 'header';
}

/**
 * @example contentSecurityPolicy({ delivery: 'meta' })
 * // "default-src 'none'; script-src 'self'; style-src 'self'; ... connect-src 'self'; ..."
 */
export function contentSecurityPolicy(options: CspOptions): string {
  const development = options.development ?? false;
  const map = options.mapSources ?? [];
  const connect = ["'self'", ...(options.connectSources ?? []), ...map];
  if (development) connect.push('ws://localhost:*', 'ws://127.0.0.1:*');
  const directives: [string, string[]][] = [
    ['default-src', ["'none'"]],
    ['script-src', development ? ["'self'", "'unsafe-inline'"] : ["'self'"]],
    ['style-src', development ? ["'self'", "'unsafe-inline'"] : ["'self'"]],
    ['img-src', [...new Set(["'self'", 'data:', ...map])]],
    ['font-src', ["'self'"]],
    ['connect-src', [...new Set(connect)]],
    ['media-src', ["'self'"]],
    ['manifest-src', ["'self'"]],
    ['worker-src', ["'self'"]],
    ['object-src', ["'none'"]],
    ['frame-src', ["'none'"]],
    ['base-uri', ["'none'"]],
    ['form-action', ["'none'"]],
  ];
  if (options.delivery === 'header') directives.push(['frame-ancestors', ["'none'"]]);
  return directives.map(([name, sources]) => `${name} ${sources.join(' ')}`).join('; ');
}

/**
 * The connect-src entries for an API server: its origin for REST and the matching ws(s) origin for Socket.IO.
 * @example serverConnectSources('https://scada.example:8443/') // ['https://scada.example:8443', 'wss://scada.example:8443']
 */
export function serverConnectSources(serverUrl: string): string[] {
  const url = new URL(serverUrl);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return [];
  const socketProtocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return [url.origin, `${socketProtocol}//${url.host}`];
}

/** Replaces the policy in an HTML document's CSP `<meta>` (the Electron app serves its own, wider one). */
export function withCspMeta(html: string, policy: string): string {
  const meta = `<meta http-equiv="Content-Security-Policy" content="${policy.replaceAll('"', '&quot;')}" />`;
  const existing = /<meta\s+http-equiv="Content-Security-Policy"[^>]*>/i;
  if (existing.test(html)) return html.replace(existing, () => meta);
  return html.replace(/<head>/i, () => `<head>\n    ${meta}`);
}
