import type { ProblemCode } from '@tidewatch/shared';

export interface FieldError {
  readonly path: string;
  readonly message: string;
}

/**
 * The one error type services throw. Its message is shown to clients, so it never carries internals;
 * anything else that escapes becomes a generic 500.
 */
export class AppError extends Error {
  constructor(
    readonly code: ProblemCode,
    message: string,
    readonly errors?: readonly FieldError[],
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const notFound = (what: string): AppError => new AppError('not_found', `${what} not found`);
export const forbidden = (message = 'You are not allowed to do this'): AppError =>
  new AppError('forbidden', message);
export const conflict = (message: string): AppError => new AppError('conflict', message);
/** A 403 given to the caller: worth confirming against the database when their principal came from a cache. */
export const isRefusal = (error: unknown): boolean => error instanceof AppError && error.code === 'forbidden';
export const invalid = (path: string, message: string): AppError =>
  new AppError('validation_failed', 'The request is not valid', [{ path, message }]);
