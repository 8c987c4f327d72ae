import { readFile } from 'node:fs/promises';
import { protocol } from 'electron';
import { contentSecurityPolicy, withCspMeta } from '../common/content-security-policy.ts';
import { APP_SCHEME, resolveAppAsset } from './app-origin.ts';

/** Must run before the app is ready: the scheme gets a real origin, secure context and fetch support. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    {
      scheme: APP_SCHEME,
      privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true },
    },
  ]);
}

/** What a page's policy names beyond the app itself: the chosen server, and the tile server of its map. */
export interface PolicySources {
  readonly connectSources: readonly string[];
  readonly mapSources: readonly string[];
}

/**
 * Serves the renderer build from `rendererDir`. Documents get the content security policy as a header and
 * in their `<meta>` (both are enforced, so the meta of the web build must be widened to the chosen server).
 */
export function serveAppScheme(rendererDir: string, policySources: () => Promise<PolicySources>): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const asset = resolveAppAsset(rendererDir, request.url);
    if (!asset) return new Response('Not found', { status: 404 });
    let body: Buffer;
    try {
      body = await readFile(asset.filePath);
    } catch {
      return new Response('Not found', { status: 404 });
    }
    const headers = new Headers({ 'content-type': asset.contentType, 'x-content-type-options': 'nosniff' });
    if (!asset.isDocument) return new Response(new Uint8Array(body), { headers });
    const sources = await policySources();
    headers.set('content-security-policy', contentSecurityPolicy({ delivery: 'header', ...sources }));
    const html = withCspMeta(body.toString('utf8'), contentSecurityPolicy({ delivery: 'meta', ...sources }));
    return new Response(html, { headers });
  });
}
