import { parse as parseQueryString } from 'node:querystring';
import { can, type Permission, type ProblemCode, type Role } from '@tidewatch/shared';
import type { z } from 'zod';
import type { RestCase } from './rest-cases.ts';

/** What the oracle needs of a registry route: its access, permission and zod schemas. */
export interface RouteContract {
  readonly method: string;
  readonly path: string;
  readonly access: 'public' | 'signed_in' | 'tenant';
  readonly permission?: Permission;
  readonly params?: z.ZodType;
  readonly query?: z.ZodType;
  readonly body?: z.ZodType;
  /** Imports take a larger body (IMPORT_BODY_LIMIT) than the rest (BODY_LIMIT). */
  readonly largeBody?: boolean;
  /** Uploads: the body is a file, read as bytes whatever its Content-Type and judged from its first bytes. */
  readonly binaryBody?: { readonly maxBytes: number };
  /** A public route's own credential check (device Basic credentials on /ingest), run before its body is read. */
  readonly guard?: unknown;
}

/** The answers a case may get: success or not, and which problem codes. */
export interface Expectation {
  /** Where the oracle expects the request to stop: `transport`, `auth`, `validation` or `service`. */
  readonly stage: 'transport' | 'auth' | 'validation' | 'service';
  readonly success: boolean;
  readonly codes: ReadonlySet<ProblemCode>;
}

/** The body as the server's JSON parser reads it (a BOM dropped, empty as nothing), or undefined if it cannot. */
export function parseJsonBody(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  const stripped = text.startsWith('\uFEFF') ? text.slice(1) : text;
  if (stripped.trim() === '') return undefined;
  try {
    return JSON.parse(stripped);
  } catch {
    return undefined;
  }
}

const expect = (stage: Expectation['stage'], codes: ProblemCode[], success = false): Expectation => ({
  stage,
  success,
  codes: new Set(codes),
});

const BODY_LIMIT_BYTES = 1024 * 1024;
/** Sign-in and refresh: anyone may send them, so their bodies are kept small (PUBLIC_BODY_LIMIT). */
const PUBLIC_BODY_LIMIT_BYTES = 16 * 1024;
const IMPORT_BODY_LIMIT_BYTES = 25 * 1024 * 1024;

/** What the body parser makes of a body: a value, or the problem it answers with. */
function readBody(testCase: RestCase, limit: number): { value: unknown } | { problem: Expectation } {
  const text = testCase.bodyText;
  if (text === undefined || text === '') return { value: undefined };
  const type = testCase.contentType?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') return { problem: expect('transport', ['unsupported_media_type']) };
  if (Buffer.byteLength(text) > limit) return { problem: expect('transport', ['payload_too_large']) };
  const charset = /charset=([^;]+)/i
    .exec(testCase.contentType ?? '')?.[1]
    ?.trim()
    .toLowerCase();
  if (testCase.contentEncoding !== undefined || (charset !== undefined && charset !== 'utf-8')) {
    // Decoding is the parser's business; any of these answers is right, a success is not.
    return {
      problem: expect('transport', ['unsupported_media_type', 'malformed_json', 'validation_failed']),
    };
  }
  const stripped = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const first = /^[ \t\n\r]*(.)/s.exec(stripped)?.[1];
  if (first === undefined) return { value: undefined };
  if (first !== '{' && first !== '[') return { problem: expect('transport', ['malformed_json']) };
  try {
    return { value: JSON.parse(stripped) };
  } catch {
    return { problem: expect('transport', ['malformed_json']) };
  }
}

/**
 * Predicts the server's answer from the route's own contract, in the order the server checks: path parameters
 * (decoded by the router while matching), credentials and permission (so nobody gets a body read before they are
 * known), body parsing, then the zod schemas of params, query and body. A public route reads its body first,
 * unless it has a guard of its own, which may refuse before. Past those, the service may still refuse (404, 409,
 * a reference to a missing or foreign id), so success and those codes are all allowed.
 */
export function expectationFor(route: RouteContract, testCase: RestCase, role: Role | null): Expectation {
  const expected = expectationPastGuard(route, testCase, role);
  // A guard (device credentials) answers 401 before the body and the schemas are looked at.
  if (route.access === 'public' && route.guard !== undefined && !expected.success)
    return expect(expected.stage, [...expected.codes, 'unauthenticated']);
  return expected;
}

function expectationPastGuard(route: RouteContract, testCase: RestCase, role: Role | null): Expectation {
  if (testCase.params === null) return expect('transport', ['validation_failed']);
  if (route.access !== 'public') {
    if (role === null) return expect('auth', ['unauthenticated']);
    if (route.permission && !can(role, route.permission)) return expect('auth', ['forbidden']);
  }
  const limit =
    route.access === 'public' && route.guard === undefined
      ? PUBLIC_BODY_LIMIT_BYTES
      : route.largeBody
        ? IMPORT_BODY_LIMIT_BYTES
        : BODY_LIMIT_BYTES;
  if (route.binaryBody) return expectationForUpload(route, testCase);
  const body = readBody(testCase, limit);
  if ('problem' in body) return body.problem;
  const invalid =
    (route.params && !route.params.safeParse(testCase.params).success) ||
    (route.query && !route.query.safeParse(parseQueryString(testCase.queryText)).success) ||
    (route.body && !route.body.safeParse(body.value ?? {}).success);
  if (invalid) return expect('validation', ['validation_failed']);
  const serviceCodes: ProblemCode[] = ['validation_failed', 'not_found', 'conflict', 'forbidden'];
  if (route.access === 'public') serviceCodes.push('unauthenticated', 'invalid_credentials');
  return expect('service', serviceCodes, true);
}

/**
 * An upload (a file as the body): no JSON parser stands in front, so a body that is not a file the route takes is
 * refused by the service (415, or 400 when empty, 413 past the limit), next to its own refusals (an owner that is
 * missing, closed or archived).
 */
function expectationForUpload(route: RouteContract, testCase: RestCase): Expectation {
  if (
    (route.params && !route.params.safeParse(testCase.params).success) ||
    (route.query && !route.query.safeParse(parseQueryString(testCase.queryText)).success)
  )
    return expect('validation', ['validation_failed']);
  return expect(
    'service',
    [
      'validation_failed',
      'not_found',
      'conflict',
      'forbidden',
      'unsupported_media_type',
      'payload_too_large',
    ],
    true,
  );
}
