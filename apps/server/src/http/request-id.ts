import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';

const acceptable = /^[A-Za-z0-9._:-]{8,128}$/;

/** The caller's X-Request-Id when it is sane, otherwise a new one. */
export function requestIdFor(given: string | undefined): string {
  return given !== undefined && acceptable.test(given) ? given : randomUUID();
}

/** Takes the caller's X-Request-Id when it is sane, otherwise makes one; echoes it on the response. */
export const requestId: RequestHandler = (req, res, next) => {
  const id = requestIdFor(req.get('x-request-id'));
  res.locals.requestId = id;
  res.setHeader('X-Request-Id', id);
  next();
};
