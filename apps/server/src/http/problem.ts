import { isDatabaseBusyError, isTransientDatabaseError } from '@tidewatch/db';
import { problemStatuses, problemType, type Problem, type ProblemCode } from '@tidewatch/shared';
import { z } from 'zod';
import {
  isChangedAuthority,
  isEndedSession,
  isNumberOutOfRange,
  isUnstorableText,
  isVanishedRecord,
} from '../modules/database-errors.ts';
import { AppError } from './app-error.ts';

const titles: Readonly<Record<ProblemCode, string>> = {
  malformed_json: 'Malformed JSON',
  validation_failed: 'Validation failed',
  tenant_required: 'Tenant required',
  unauthenticated: 'Authentication required',
  invalid_credentials: 'Invalid credentials',
  forbidden: 'Forbidden',
  sign_in_incomplete: 'Sign-in not finished',
  not_found: 'Not found',
  conflict: 'Conflict',
  payload_too_large: 'Payload too large',
  unsupported_media_type: 'Unsupported media type',
  too_many_requests: 'Too many requests',
  internal: 'Internal error',
  bad_gateway: 'Bad gateway: a service this server relies on failed',
  unavailable: 'Service unavailable',
  gateway_timeout: 'Gateway timeout: a service this server relies on did not answer in time',
};

export interface ProblemResponse {
  readonly status: number;
  readonly body: Problem;
  readonly headers: Readonly<Record<string, string>>;
  /** Only for 5xx: what to log, never what to show. */
  readonly cause?: unknown;
  /** The database was busy or away: an expected condition, logged as a warning without a stack. */
  readonly transient?: true;
}

interface BodyParserError {
  type: string;
  status?: number;
}

function isBodyParserError(error: unknown): error is BodyParserError {
  return typeof error === 'object' && error !== null && 'type' in error && typeof error.type === 'string';
}

/** A 4xx the body parser raised without a `type`: a body that does not inflate as its Content-Encoding says. */
function isUnreadableBodyError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !('status' in error)) return false;
  const status = error.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

function problem(
  code: ProblemCode,
  detail: string,
  requestId: string,
  extra: Partial<Problem> = {},
): Problem {
  return {
    type: problemType(code),
    title: titles[code],
    status: problemStatuses[code],
    detail,
    requestId,
    ...extra,
  };
}

/** An error recognised by its shape: the problem it becomes, and whether it is the database being busy or away. */
interface KnownError {
  readonly matches: (error: unknown) => boolean;
  readonly code: ProblemCode;
  readonly detail: string;
  /** Nothing was done and the same request will likely work shortly: 503 with Retry-After, logged as a warning. */
  readonly retryLater?: true;
}

const bodyParserType =
  (...types: string[]) =>
  (error: unknown) =>
    isBodyParserError(error) && types.includes(error.type);

/** In order: the first that matches decides. */
const knownErrors: readonly KnownError[] = [
  // The router could not percent-decode a path parameter (`/zones/%E0%A4%A`).
  {
    matches: (error) => error instanceof URIError,
    code: 'validation_failed',
    detail: 'The path is not valid percent-encoding',
  },
  {
    matches: (error) => !isBodyParserError(error) && isUnreadableBodyError(error),
    code: 'malformed_json',
    detail: 'The body could not be read',
  },
  {
    matches: bodyParserType('entity.parse.failed'),
    code: 'malformed_json',
    detail: 'The body is not valid JSON',
  },
  { matches: bodyParserType('entity.too.large'), code: 'payload_too_large', detail: 'The body is too large' },
  {
    matches: bodyParserType('encoding.unsupported', 'charset.unsupported'),
    code: 'unsupported_media_type',
    detail: 'Send UTF-8 JSON',
  },
  {
    matches: (error) =>
      isBodyParserError(error) && error.status !== undefined && error.status >= 400 && error.status < 500,
    code: 'malformed_json',
    detail: 'The body could not be read',
  },
  {
    matches: isUnstorableText,
    code: 'validation_failed',
    detail: 'Text must not contain the character U+0000',
  },
  {
    matches: isNumberOutOfRange,
    code: 'validation_failed',
    detail: 'A number in the request is out of range',
  },
  {
    matches: isVanishedRecord,
    code: 'not_found',
    detail: 'It was removed while this request was being handled',
  },
  // The session ended (signed out, disabled) after this request's principal was read, perhaps on another instance.
  {
    matches: isEndedSession,
    code: 'unauthenticated',
    detail: 'The session has ended; sign in again',
  },
  // The caller's role, tenant or zones changed twice while one request was judged (the route read them anew once).
  {
    matches: isChangedAuthority,
    code: 'conflict',
    detail: 'Your role, tenant or zones changed while this request was handled; send it again',
  },
  // After the 404 of a vanished record: a busy or absent database is only what is left unexplained. A held lock,
  // a slow query or every connection taken: the request gave up within its budget and nothing was committed.
  {
    matches: isDatabaseBusyError,
    code: 'unavailable',
    detail: 'The database is busy; send the request again shortly',
    retryLater: true,
  },
  // The database is briefly away (restart, failover).
  {
    matches: isTransientDatabaseError,
    code: 'unavailable',
    detail: 'The database is briefly unavailable; send the request again',
    retryLater: true,
  },
];

/** Maps anything thrown while handling a request to an RFC 9457 body; unknown errors say nothing of themselves. */
export function toProblem(error: unknown, requestId: string, instance: string): ProblemResponse {
  if (error instanceof AppError) {
    return {
      status: problemStatuses[error.code],
      body: problem(error.code, error.message, requestId, {
        instance,
        ...(error.errors ? { errors: [...error.errors] } : {}),
      }),
      headers: error.headers ?? {},
    };
  }
  if (error instanceof z.ZodError) {
    const errors = error.issues.map((issue) => ({
      path: issue.path.join('.') || '(body)',
      message: issue.message,
    }));
    return {
      status: 400,
      body: problem('validation_failed', 'The request is not valid', requestId, { instance, errors }),
      headers: {},
    };
  }
  const known = knownErrors.find((candidate) => candidate.matches(error));
  if (known) {
    const response = {
      status: problemStatuses[known.code],
      body: problem(known.code, known.detail, requestId, { instance }),
    };
    return known.retryLater
      ? { ...response, headers: { 'Retry-After': '2' }, cause: error, transient: true }
      : { ...response, headers: {} };
  }
  return {
    status: 500,
    body: problem(
      'internal',
      'Something went wrong on our side; the request id helps us find it',
      requestId,
      { instance },
    ),
    headers: {},
    cause: error,
  };
}
