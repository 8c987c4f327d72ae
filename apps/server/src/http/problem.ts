import { isDatabaseBusyError, isTransientDatabaseError } from '@tidewatch/db';
import { problemStatuses, problemType, type Problem, type ProblemCode } from '@tidewatch/shared';
import { z } from 'zod';
import { isNumberOutOfRange, isUnstorableText, isVanishedRecord } from '../modules/database-errors.ts';
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
  if (error instanceof URIError) {
    // The router could not percent-decode a path parameter (`/zones/%E0%A4%A`).
    return {
      status: 400,
      body: problem('validation_failed', 'The path is not valid percent-encoding', requestId, { instance }),
      headers: {},
    };
  }
  if (!isBodyParserError(error) && isUnreadableBodyError(error)) {
    return {
      status: 400,
      body: problem('malformed_json', 'The body could not be read', requestId, { instance }),
      headers: {},
    };
  }
  if (isBodyParserError(error)) {
    if (error.type === 'entity.parse.failed') {
      return {
        status: 400,
        body: problem('malformed_json', 'The body is not valid JSON', requestId, { instance }),
        headers: {},
      };
    }
    if (error.type === 'entity.too.large') {
      return {
        status: 413,
        body: problem('payload_too_large', 'The body is too large', requestId, { instance }),
        headers: {},
      };
    }
    if (error.type === 'encoding.unsupported' || error.type === 'charset.unsupported') {
      return {
        status: 415,
        body: problem('unsupported_media_type', 'Send UTF-8 JSON', requestId, { instance }),
        headers: {},
      };
    }
    if (error.status !== undefined && error.status >= 400 && error.status < 500) {
      return {
        status: 400,
        body: problem('malformed_json', 'The body could not be read', requestId, { instance }),
        headers: {},
      };
    }
  }
  if (isUnstorableText(error)) {
    return {
      status: 400,
      body: problem('validation_failed', 'Text must not contain the character U+0000', requestId, {
        instance,
      }),
      headers: {},
    };
  }
  if (isNumberOutOfRange(error)) {
    return {
      status: 400,
      body: problem('validation_failed', 'A number in the request is out of range', requestId, { instance }),
      headers: {},
    };
  }
  if (isVanishedRecord(error)) {
    return {
      status: 404,
      body: problem('not_found', 'It was removed while this request was being handled', requestId, {
        instance,
      }),
      headers: {},
    };
  }
  // After the 404 of a vanished record: a busy or absent database is only what is left unexplained.
  if (isDatabaseBusyError(error)) {
    // A held lock, a slow query or every connection taken: the request gave up within its budget, nothing was
    // committed, and the same request will likely work shortly.
    return {
      status: 503,
      body: problem('unavailable', 'The database is busy; send the request again shortly', requestId, {
        instance,
      }),
      headers: { 'Retry-After': '2' },
      cause: error,
      transient: true,
    };
  }
  if (isTransientDatabaseError(error)) {
    // The database is briefly away (restart, failover): nothing was done, and the same request will work again.
    return {
      status: 503,
      body: problem('unavailable', 'The database is briefly unavailable; send the request again', requestId, {
        instance,
      }),
      headers: { 'Retry-After': '2' },
      cause: error,
      transient: true,
    };
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
