import express, { type RequestHandler } from 'express';
import { AppError } from './app-error.ts';

/** Parses JSON bodies up to `limit`; a body in any other media type is refused rather than ignored. */
export function jsonBody(limit: string): RequestHandler {
  const parse: RequestHandler = express.json({ limit, strict: true });
  return (req, res, next) => {
    const hasBody =
      req.get('content-length') !== undefined
        ? req.get('content-length') !== '0'
        : req.get('transfer-encoding') !== undefined;
    if (hasBody && !req.is('application/json')) {
      next(new AppError('unsupported_media_type', 'Send the body as application/json'));
      return;
    }
    parse(req, res, next);
  };
}
