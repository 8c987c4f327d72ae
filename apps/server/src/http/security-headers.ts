import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * Helmet's headers, fitted to how the console is reached. `upgrade-insecure-requests` and HSTS go only to a
 * client on https (this server on TLS, or a trusted proxy's X-Forwarded-Proto): sent over plain HTTP to a LAN
 * address they make the browser fetch every script over https, and the console stays blank. `mapOrigins` (the
 * tile server's style, tiles, glyphs and sprites) may be fetched and drawn; a map worker's fetches obey this
 * header alone, not the page's `<meta>`.
 */
export function securityHeaders(mapOrigins: readonly string[]): RequestHandler {
  const directives = {
    'connect-src': ["'self'", ...mapOrigins],
    'img-src': ["'self'", 'data:', ...mapOrigins],
  };
  const overHttps = helmet({ contentSecurityPolicy: { directives } });
  const overHttp = helmet({
    contentSecurityPolicy: { directives: { ...directives, 'upgrade-insecure-requests': null } },
    strictTransportSecurity: false,
    // Browsers ignore it on an origin that is not potentially trustworthy, with a warning in the console.
    crossOriginOpenerPolicy: false,
  });
  return (req, res, next) => {
    if (req.secure) overHttps(req, res, next);
    else overHttp(req, res, next);
  };
}
