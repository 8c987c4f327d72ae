import { describeDatabaseError } from '@tidewatch/db';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../operations/metrics.ts';
import { AppError } from './app-error.ts';
import { toProblem } from './problem.ts';

export function errorHandler(log: Logger, metrics: Metrics): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const requestId = String(res.locals.requestId ?? '');
    const problem = toProblem(error, requestId, req.originalUrl.split('?')[0] ?? '');
    if (problem.transient)
      log.warn(
        { requestId, reason: describeDatabaseError(problem.cause) },
        'request answered 503: database busy or away',
      );
    else if (problem.cause !== undefined) log.error({ err: problem.cause, requestId }, 'request failed');
    metrics.httpErrors.inc({ code: problem.body.type.split(':').pop() ?? 'internal' });
    if (res.headersSent) return;
    // Refused before its body was read (unauthenticated, too large): close rather than read the rest to keep
    // the connection, so an anonymous sender cannot make the server take in megabytes it will throw away.
    if (!req.complete) res.set('Connection', 'close');
    res
      .status(problem.status)
      .set(problem.headers)
      .type('application/problem+json')
      .send(JSON.stringify(problem.body));
  };
}

export const apiNotFound: RequestHandler = (req, _res, next) => {
  next(new AppError('not_found', `No route ${req.method} ${req.path}`));
};
