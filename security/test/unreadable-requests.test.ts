import { demoEmail, demoTenants } from '@tidewatch/db/testing';
import { AdminDb } from '../src/admin-db.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyAnswer } from '../src/answer-check.ts';
import { ApiClient } from '../src/api-client.ts';
import { startSecurityServer, type RunningServer } from '../src/test-server.ts';

/** Requests the fuzzer found answered with 500: kept as fixed cases so they stay 4xx. */
describe('requests the server cannot read or store', () => {
  let server: RunningServer;
  let api: ApiClient;
  let token: string;
  const db = new AdminDb();

  beforeAll(async () => {
    server = await startSecurityServer();
    api = new ApiClient(server.url);
    token = (await api.login(demoEmail('admin', demoTenants[0]))).accessToken;
  });
  afterAll(async () => {
    await db.close();
    await api.close();
    await server.close();
  });

  it.each(['%E0%A4%A', '%', '%zz', '%C0%AF', '%FF%FE'])(
    'answers a path id of %s (not percent-decodable) with 400',
    async (id) => {
      const answer = await api.http.send({
        method: 'GET',
        path: `/api/v1/zones/${id}`,
        headers: { authorization: `Bearer ${token}` },
      });

      expect(answer.status).toBe(400);
      expect(classifyAnswer(answer)).toEqual({ kind: 'problem', code: 'validation_failed' });
    },
  );

  it.each(['gzip', 'deflate', 'br'])(
    'answers a body claiming content-encoding %s that does not inflate with 400',
    async (encoding) => {
      const answer = await api.http.send({
        method: 'POST',
        path: '/api/v1/alerts/acknowledge',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-encoding': encoding,
        },
        body: JSON.stringify({ ids: ['00000000-0000-4000-8000-000000000000'] }),
      });

      expect(answer.status).toBe(400);
      expect(classifyAnswer(answer)).toEqual({ kind: 'problem', code: 'malformed_json' });
    },
  );

  // PostgreSQL text cannot hold U+0000; the schemas let it through, so the insert fails and the answer is a 500.
  it.each([
    ['a comment on an alert', 'comments', { comment: 'valve \u0000 stuck' }],
    ['a shelving reason', 'shelve', { durationS: 600, reason: 'valve \u0000 stuck' }],
  ])('refuses %s with a NUL character as a 400, not a 500', async (_what, action, body) => {
    const tenantId = await db.tenantId(demoTenants[0].slug);
    const { id } = await db.one<{ id: string }>(
      `SELECT id FROM alerts WHERE tenant_id = $1 AND state = 'active_unacknowledged' ORDER BY id LIMIT 1`,
      [tenantId],
    );

    const answer = await api.call('POST', `/api/v1/alerts/${id}/${action}`, { token, body });

    expect(answer.status, answer.text).toBe(400);
    expect(classifyAnswer({ status: answer.status, headers: answer.headers, text: answer.text })).toEqual({
      kind: 'problem',
      code: 'validation_failed',
    });
  });
});
