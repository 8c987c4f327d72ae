import { problemSchema } from '@tidewatch/shared';

const PROBLEM_PREFIX = 'urn:tidewatch:problem:';

/** An answer of the server that is not a success: its problem+json, kept for the operator and for logic. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    /** The stable problem code (`forbidden`, `validation_failed`, ...), or `http_<status>` when unknown. */
    readonly code: string,
    message: string,
    readonly requestId: string | null = null,
    readonly fieldErrors: readonly { path: string; message: string }[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The server could not be reached at all (network down, server stopped, blocked by policy). */
export class NetworkError extends Error {
  constructor(readonly serverUrl: string) {
    super(`Cannot reach ${serverUrl}`);
    this.name = 'NetworkError';
  }
}

export async function errorFromResponse(response: Response): Promise<ApiError> {
  const requestId = response.headers.get('x-request-id');
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON (a proxy's error page): the status says enough.
  }
  const problem = problemSchema.safeParse(body);
  if (!problem.success) {
    return new ApiError(
      response.status,
      `http_${response.status}`,
      response.statusText || 'Request failed',
      requestId,
    );
  }
  const { type, title, detail, errors } = problem.data;
  const code = type.startsWith(PROBLEM_PREFIX)
    ? type.slice(PROBLEM_PREFIX.length)
    : `http_${response.status}`;
  return new ApiError(
    response.status,
    code,
    detail ?? title,
    problem.data.requestId ?? requestId,
    errors ?? [],
  );
}

/** One line for the operator: what failed, and the request id support can look up. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    const fields = error.fieldErrors.map((field) => `${field.path}: ${field.message}`).join('; ');
    const reference = error.requestId ? ` (request ${error.requestId})` : '';
    return `${error.message}${fields ? ` (${fields})` : ''}${reference}`;
  }
  if (error instanceof NetworkError) return `${error.message}: check the address and the network`;
  return error instanceof Error ? error.message : 'Something went wrong';
}
