import type { RequestHandler } from 'express';
import { AppError } from './app-error.ts';

/**
 * Reads a request body as bytes, up to `maxBytes`, into `req.body` (a Buffer; empty when none was sent). What the
 * bytes are is judged later from the bytes themselves, so the Content-Type the client claims is not read. A body
 * over the limit is refused as soon as that is known (from Content-Length, or mid-stream), never read to its end.
 */
export function binaryBody(maxBytes: number): RequestHandler {
  const tooLarge = (): AppError =>
    new AppError('payload_too_large', `The file is larger than ${String(Math.floor(maxBytes / 1024))} KiB`);
  return (req, _res, next) => {
    const length = req.get('content-length');
    if (length !== undefined && Number(length) > maxBytes) {
      next(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const finish = (error?: unknown): void => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      if (error === undefined) req.body = Buffer.concat(chunks, received);
      next(error);
    };
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > maxBytes) finish(tooLarge());
      else chunks.push(chunk);
    };
    const onEnd = (): void => {
      finish();
    };
    const onError = (error: Error): void => {
      finish(error);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  };
}
