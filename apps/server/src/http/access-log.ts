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

/**
 * One line per finished request: server errors and slow requests always, a sample of the rest. 503 is the
 * server protecting itself (database busy, ingest queue full), not a fault: a warning, like slowness.
 */
export function accessLog(log: Logger, options: AccessLogOptions): RequestHandler {
  const random = options.random ?? Math.random;
  return (req, res, next) => {
    if (isProbe(req.path)) {
      next();
      return;
    }
    const started = performance.now();
    res.on('close', () => {
      const durationMs = Math.round((performance.now() - started) * 10) / 10;
      const status = res.statusCode;
      const slow = durationMs >= options.slowMs;
      if (status < 500 && !slow && random() >= options.sampleRate) return;
      const line = {
        reqId: String(res.locals.requestId),
        method: req.method,
        url: req.originalUrl,
        status,
        durationMs,
        ...(res.writableFinished ? {} : { aborted: true }),
      };
      if (status >= 500 && status !== 503) log.error(line, 'request failed');
      else if (status === 503 || slow) log.warn(line, slow ? 'slow request' : 'request refused');
      else log.info(line, 'request');
    });
    next();
  };
}
