import type { RequestHandler } from 'express';
import type { Level } from 'pino';
import type { Logger } from '../logger.ts';

/** One successful request in this many is logged (at debug); errors and refusals always are. */
export const ACCESS_LOG_SAMPLE = 100;

// 503 is the server protecting itself (database busy, ingest queue full), not a fault: a warning.
function levelOf(status: number): Level {
  if (status === 503) return 'warn';
  if (status >= 500) return 'error';
  if (status >= 400) return 'info';
  return 'debug';
}

/**
 * One access line per request that failed or was refused, and per sampled success, with its request id: at a
 * thousand requests a second a line (and a child logger) for each would cost more than the requests. Probes and
 * scrapes (`ignore`) are not logged at all.
 */
export function accessLog(log: Logger, ignore: (url: string) => boolean): RequestHandler {
  let successes = 0;
  return (req, res, next) => {
    if (ignore(req.originalUrl)) {
      next();
      return;
    }
    const started = performance.now();
    res.once('finish', () => {
      const level = levelOf(res.statusCode);
      if (level === 'debug' && successes++ % ACCESS_LOG_SAMPLE !== 0) return;
      if (!log.isLevelEnabled(level)) return;
      log[level](
        {
          requestId: String(res.locals.requestId),
          req: { method: req.method, url: req.originalUrl },
          res: { statusCode: res.statusCode },
          responseTime: Math.round(performance.now() - started),
          ...(level === 'debug' && { sampled: ACCESS_LOG_SAMPLE }),
        },
        level === 'debug' ? 'request completed' : 'request errored',
      );
    });
    next();
  };
}
