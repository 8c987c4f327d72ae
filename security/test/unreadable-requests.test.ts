import { demoEmail, demoTenants } from '@tidewatch/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyAnswer } from '../src/answer-check.ts';
import { ApiClient } from '../src/api-client.ts';
import { startSecurityServer, type RunningServer } from '../src/test-server.ts';

/** Requests the fuzzer found answered with 500: kept as fixed cases so they stay 4xx. */
describe('requests the server cannot read', () => {
  let server: RunningServer;
  let api: ApiClient;
  let token: string;

  beforeAll(async () => {
    server = await startSecurityServer();
    api = new ApiClient(server.url);
    const [tenant] = demoTenants;
    token = (await api.login(demoEmail('admin', tenant ?? demoTenants[0]))).accessToken;
  });
  afterAll(async () => {
    await api.close();
    await server.close();
  });

  it.each(['%E0%A4%A', '%', '%zz', '%C0%AF', '%FF%FE'])('answers a path id of %s (not percent-decodable) with 400', async (id) => {
    const answer = await api.http.send({
      method: 'GET',
      path: `/api/v1/zones/${id}`,
      headers: { authorization: `Bearer ${token}` },
    });

    expect(answer.status).toBe(400);
    expect(classifyAnswer(answer)).toEqual({ kind: 'problem', code: 'validation_failed' });
  });

  it.each(['gzip', 'deflate', 'br'])('answers a body claiming content-encoding %s that does not inflate with 400', async (encoding) => {
    const answer = await api.http.send({
      method: 'POST',
      path: '/api/v1/alerts/acknowledge',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-encoding': encoding },
      body: JSON.stringify({ ids: ['00000000-0000-4000-8000-000000000000'] }),
    });

    expect(answer.status).toBe(400);
    expect(classifyAnswer(answer)).toEqual({ kind: 'problem', code: 'malformed_json' });
  });
});
