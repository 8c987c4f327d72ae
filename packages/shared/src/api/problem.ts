import { z } from 'zod';

/**
 * Every error code the API answers with, and its HTTP status. The `type` of a problem+json body is
 * `urn:tidewatch:problem:<code>`, stable across releases so clients can branch on it.
 */
export const problemStatuses = {
  malformed_json: 400,
  validation_failed: 400,
  tenant_required: 400,
  unauthenticated: 401,
  invalid_credentials: 401,
  forbidden: 403,
  sign_in_incomplete: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  too_many_requests: 429,
  internal: 500,
  bad_gateway: 502,
  unavailable: 503,
  gateway_timeout: 504,
} as const;
export type ProblemCode = keyof typeof problemStatuses;

export function problemType(code: ProblemCode): string {
  return `urn:tidewatch:problem:${code}`;
}

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .describe('Each invalid field, for validation_failed'),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });
export type Problem = z.infer<typeof problemSchema>;
