import type { ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import type { Logger } from '../logger.ts';

export interface AccessLogOptions {
  /** Share of ordinary requests logged, 0 to 1: at a thousand requests a second every line costs CPU. */
  readonly sampleRate: number;
  /** Requests slower than this are always logged. */
  readonly slowMs: number;
  /** Replaceable in tests. */
  readonly random?: () => number;
}

/** Probes answer every few seconds and say nothing a log reader needs. */
function isProbe(path: string): boolean {
  return path === '/metrics' || path === '/health' || path.startsWith('/health/');
}

/** Writes a request's line once its response has gone (or the client left): see `accessLog`. */
export type RequestWatcher = (
  method: string,
  url: string,
  requestId: () => string,
  res: ServerResponse,
  /** `performance.now()` when the request arrived, if it was taken before the watch began. */
  started?: number,
) => void;

/**
 * One line per finished request: server errors and slow requests always, a sample of the rest. 503 is the
 * server protecting itself (database busy, ingest queue full), not a fault: a warning, like slowness.
 */
export function requestWatcher(log: Logger, options: AccessLogOptions): RequestWatcher {
  const random = options.random ?? Math.random;
  return (method, url, requestId, res, started = performance.now()) => {
    res.on('close', () => {
      const durationMs = Math.round((performance.now() - started) * 10) / 10;
      const status = res.statusCode;
      const slow = durationMs >= options.slowMs;
      if (status < 500 && !slow && random() >= options.sampleRate) return;
      const line = {
        reqId: requestId(),
        method,
        url,
        status,
        durationMs,
        ...(res.writableFinished ? {} : { aborted: true }),
      };
      if (status >= 500 && status !== 503) log.error(line, 'request failed');
      else if (status === 503 || slow) log.warn(line, slow ? 'slow request' : 'request refused');
      else log.info(line, 'request');
    });
  };
}

/** The access log as Express middleware (probes are not logged). */
export function accessLog(watch: RequestWatcher): RequestHandler {
  return (req, res, next) => {
    if (!isProbe(req.path)) watch(req.method, req.originalUrl, () => String(res.locals.requestId), res);
    next();
  };
}
