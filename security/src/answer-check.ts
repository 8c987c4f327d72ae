import { problemSchema, problemStatuses, type ProblemCode } from '@tidewatch/shared';
import type { RawResponse } from './http-client.ts';

export type AnswerClass =
  | { readonly kind: 'success' }
  | { readonly kind: 'problem'; readonly code: ProblemCode }
  | { readonly kind: 'broken'; readonly reason: string };

const PREFIX = 'urn:tidewatch:problem:';
// A stack frame, a source path or a database message in an answer means internals leaked out.
const INTERNALS =
  /node_modules|\.ts:\d+:\d+|\bat [\w$.<>]+ \(|violates .* constraint|syntax error at or near|PrismaClient/;

/**
 * Sorts an answer: a success, a well-formed problem with a known code, or broken — a 5xx other than a 503 that
 * says when to retry, a problem+json that is not one, a code whose status does not match, or leaked internals.
 */
export function classifyAnswer(response: RawResponse): AnswerClass {
  const { status } = response;
  if (status >= 200 && status < 300) return { kind: 'success' };
  if (status < 400 || status >= 600) return { kind: 'broken', reason: `status ${String(status)}` };
  if (status >= 500 && !(status === 503 && response.headers['retry-after'] !== undefined)) {
    return { kind: 'broken', reason: `server error ${String(status)}` };
  }
  if (!(response.headers['content-type'] ?? '').startsWith('application/problem+json')) {
    return {
      kind: 'broken',
      reason: `${String(status)} without problem+json (${response.headers['content-type'] ?? 'no type'})`,
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(response.text);
  } catch {
    return { kind: 'broken', reason: 'problem body is not JSON' };
  }
  const problem = problemSchema.safeParse(json);
  if (!problem.success) return { kind: 'broken', reason: 'problem body does not match the Problem schema' };
  if (problem.data.status !== status)
    return { kind: 'broken', reason: `problem status ${String(problem.data.status)} on a ${String(status)}` };
  const code = problem.data.type.startsWith(PREFIX) ? problem.data.type.slice(PREFIX.length) : '';
  if (!(code in problemStatuses))
    return { kind: 'broken', reason: `unknown problem type ${problem.data.type}` };
  if (problemStatuses[code as ProblemCode] !== status)
    return { kind: 'broken', reason: `${code} answered with ${String(status)}` };
  if (status === 429 && response.headers['retry-after'] === undefined)
    return { kind: 'broken', reason: '429 without Retry-After' };
  if (INTERNALS.test(response.text)) return { kind: 'broken', reason: 'internals in the problem' };
  return { kind: 'problem', code: code as ProblemCode };
}
