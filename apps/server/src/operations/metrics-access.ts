import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { inNetwork, parseAddress, parseNetwork, type Network } from '../modules/outbound/ip-address.ts';

const LOOPBACK = [parseNetwork('127.0.0.0/8'), parseNetwork('::1/128')];

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

function addressAllowed(ip: string | undefined, networks: readonly Network[]): boolean {
  if (ip === undefined) return false;
  try {
    const address = parseAddress(ip);
    return networks.some((network) => inNetwork(address, network));
  } catch {
    return false;
  }
}

/**
 * /metrics tells the load, tenants' activity and error rates: only this machine, `allowNetworks`, or a scraper
 * presenting the bearer `token` may read it. The client's address is Express's `req.ip`, which comes from
 * X-Forwarded-For only when TRUST_PROXY says whose header to believe. Without an allowed address: 401 (with
 * WWW-Authenticate) when a token is configured and not given right, 403 when there is no token to give.
 */
export function metricsAccess(options: {
  readonly allowNetworks: readonly Network[];
  readonly token: string | undefined;
}): RequestHandler {
  const networks = [...LOOPBACK, ...options.allowNetworks];
  // Compared as digests: equal lengths for timingSafeEqual, and no early exit on the first differing byte.
  const expected = options.token === undefined ? null : digest(options.token);
  return (req, res, next) => {
    if (addressAllowed(req.ip, networks)) {
      next();
      return;
    }
    if (expected === null) {
      res.status(403).type('text/plain').send('Metrics are readable from allowed networks only\n');
      return;
    }
    const presented = /^Bearer (\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
    if (presented !== undefined && timingSafeEqual(digest(presented), expected)) {
      next();
      return;
    }
    res
      .status(401)
      .set('WWW-Authenticate', 'Bearer realm="tidewatch-metrics"')
      .type('text/plain')
      .send('Metrics need the bearer token\n');
  };
}
