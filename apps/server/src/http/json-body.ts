import express, { type NextFunction, type RequestHandler } from 'express';
import { AppError } from './app-error.ts';

const UNITS: Readonly<Record<string, number>> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/** `16kb`, `1mb`, `25mb` (as the body parser reads them: 1 kb = 1024 bytes) in bytes. */
export function byteSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i.exec(text.trim());
  if (!match?.[1]) throw new Error(`"${text}" is not a size such as 16kb or 1mb`);
  return Math.floor(Number(match[1]) * (UNITS[(match[2] ?? 'b').toLowerCase()] ?? 1));
}

const tooLarge = (): AppError => new AppError('payload_too_large', 'The body is too large');

/**
 * Parses JSON bodies up to `limit`; a body in any other media type is refused rather than ignored. A body over
 * the limit is refused as soon as that is known (from Content-Length, or mid-stream), never read to its end: the
 * error handler then closes the connection instead of draining it.
 */
export function jsonBody(limit: string): RequestHandler {
  const limitBytes = byteSize(limit);
  const parse: RequestHandler = express.json({ limit: limitBytes, strict: true });
  return (req, res, next) => {
    const length = req.get('content-length');
    const hasBody = length !== undefined ? length !== '0' : req.get('transfer-encoding') !== undefined;
    if (hasBody && !req.is('application/json')) {
      next(new AppError('unsupported_media_type', 'Send the body as application/json'));
      return;
    }
    if (length !== undefined && Number(length) > limitBytes) {
      next(tooLarge());
      return;
    }
    // The parser reports an oversized chunked body only after reading all of it; the count answers at once.
    let answered = false;
    const once: NextFunction = (error?: unknown) => {
      if (answered) return;
      answered = true;
      req.off('data', count);
      next(error);
    };
    let received = 0;
    const count = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > limitBytes) once(tooLarge());
    };
    parse(req, res, once);
    req.on('data', count);
  };
}
