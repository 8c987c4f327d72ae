import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { signingKeyContext } from '@tidewatch/server/secrets/stored-secrets';
import { demoEmail, demoTenants } from '@tidewatch/db/testing';
import type { TokenResponse } from '@tidewatch/shared';
import { exportJWK, SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminDb } from '../src/admin-db.ts';
import { classifyAnswer } from '../src/answer-check.ts';
import { ApiClient } from '../src/api-client.ts';
import { reportResults } from '../src/results.ts';
import { startSecurityServer, type RunningServer } from '../src/test-server.ts';

const [tenantB, tenantA] = demoTenants;
const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Extends apps/server/test/auth.test.ts (missing, garbage, forged-claim and plain `alg: none` tokens). */
describe('JWT tampering', () => {
  let server: RunningServer;
  let api: ApiClient;
  let db: AdminDb;
  let viewer: TokenResponse;
  let claims: JWTPayload & { sid: string; sub: string };
  let realKey: Uint8Array;
  let adminOfB: string;
  const refused: string[] = [];

  beforeAll(async () => {
    server = await startSecurityServer();
    api = new ApiClient(server.url);
    db = new AdminDb();
    viewer = await api.login(demoEmail('viewer', tenantA));
    claims = JSON.parse(
      Buffer.from(viewer.accessToken.split('.')[1] ?? '', 'base64url').toString(),
    ) as typeof claims;
    // The server's own key, read as the database owner (where it is sealed) and opened with the server's keys: to
    // show that a valid signature alone is not enough.
    const { sealed } = await db.one<{ sealed: string }>(
      "SELECT sealed FROM platform_secrets WHERE name = 'access_token_key'",
    );
    realKey = await server.secrets.open(sealed, signingKeyContext);
    adminOfB = (
      await db.one<{ id: string }>('SELECT id FROM users WHERE email = $1', [demoEmail('admin', tenantB)])
    ).id;
  });
  afterAll(async () => {
    await reportResults('jwt-tampering', { refused: refused.length, cases: refused });
    await api.close();
    await db.close();
    await server.close();
  });

  const sign = (payload: JWTPayload, options: { key?: Uint8Array; alg?: string } = {}): Promise<string> =>
    new SignJWT(payload)
      .setProtectedHeader({ alg: options.alg ?? 'HS256', typ: 'JWT' })
      .sign(options.key ?? realKey);

  const expectRefused = async (name: string, token: string): Promise<void> => {
    const answer = await api.http.send({
      method: 'GET',
      path: '/api/v1/me',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(answer.status, name).toBe(401);
    expect(classifyAnswer(answer), name).toEqual({ kind: 'problem', code: 'unauthenticated' });
    refused.push(name);
  };

  it('accepts the genuine token (the baseline every forgery is compared with)', async () => {
    expect((await api.call('GET', '/api/v1/me', { token: viewer.accessToken })).status).toBe(200);
  });

  it('refuses alg none in every spelling, with or without the original signature', async () => {
    const [, payload = '', signature = ''] = viewer.accessToken.split('.');
    const elevated = b64({ ...claims, sub: adminOfB });
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      await expectRefused(`alg ${alg}, claims of B's admin`, `${b64({ alg, typ: 'JWT' })}.${elevated}.`);
      await expectRefused(
        `alg ${alg}, original signature kept`,
        `${b64({ alg, typ: 'JWT' })}.${payload}.${signature}`,
      );
    }
  });

  it('refuses HS256 under any other key, other HMAC strengths, and public-key algorithms with an embedded key', async () => {
    await expectRefused('HS256 with a random key', await sign(claims, { key: randomBytes(32) }));
    await expectRefused(
      'HS256 with a guessable key',
      await sign(claims, { key: new TextEncoder().encode('secretsecretsecretsecretsecret12') }),
    );
    await expectRefused('HS384 with the real key', await sign(claims, { alg: 'HS384' }));
    await expectRefused('HS512 with the real key', await sign(claims, { alg: 'HS512' }));
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = await exportJWK(publicKey);
    const rs256 = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', jwk })
      .sign(privateKey);
    await expectRefused('RS256 signed by the attacker with the key in the header', rs256);
    // The classic confusion: the attacker's public key used as the HMAC secret.
    const pem = publicKey.export({ type: 'spki', format: 'pem' });
    await expectRefused(
      'HS256 keyed with a public key',
      await sign(claims, { key: new TextEncoder().encode(String(pem)) }),
    );
  });

  it('refuses correctly signed tokens whose claims do not hold: expired, not yet valid, wrong issuer or audience, no session', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRefused('expired a minute ago', await sign({ ...claims, iat: now - 1000, exp: now - 60 }));
    await expectRefused('not valid before next hour', await sign({ ...claims, nbf: now + 3600 }));
    await expectRefused('wrong issuer', await sign({ ...claims, iss: 'someone-else' }));
    await expectRefused('wrong audience', await sign({ ...claims, aud: 'another-api' }));
    const { sid: _sid, ...withoutSession } = claims;
    await expectRefused('no session id', await sign(withoutSession));
    await expectRefused('a session that does not exist', await sign({ ...claims, sid: randomUUID() }));
    await expectRefused("B's admin on A's viewer session", await sign({ ...claims, sub: adminOfB }));
    await expectRefused('a user that does not exist', await sign({ ...claims, sub: randomUUID() }));
  });

  it('gives claims no authority: a role or tenant in the token is ignored, the database decides', async () => {
    const [tenantBId] = [await db.tenantId(tenantB.slug)];
    const boasting = await sign({
      ...claims,
      role: 'super_admin',
      tenantId: tenantBId,
      permissions: ['user:write'],
    });

    const me = await api.call<{ role: string; tenantId: string }>('GET', '/api/v1/me', { token: boasting });
    const users = await api.call('GET', '/api/v1/users', {
      token: boasting,
      headers: { 'x-tenant-id': tenantBId },
    });

    expect(me.status).toBe(200);
    expect(me.body.role).toBe('viewer');
    expect(me.body.tenantId).toBe(await db.tenantId(tenantA.slug));
    expect(users.status).toBe(403);
  });

  it('refuses malformed bearer headers without a 500', async () => {
    for (const header of [
      `Bearer ${'a'.repeat(5000)}`,
      'Bearer ünïcödé.tökén.x',
      `Bearer ${viewer.accessToken} ${viewer.accessToken}`,
      'Bearer',
      'Basic dXNlcjpwYXNz',
      `bearer${viewer.accessToken}`,
    ]) {
      const answer = await api.http.send({
        method: 'GET',
        path: '/api/v1/me',
        headers: { authorization: header },
      });
      expect(answer.status, header.slice(0, 40)).toBe(401);
      refused.push(`header ${header.slice(0, 20)}`);
    }
  });

  it('lets a refresh token work once even when replayed concurrently, and a replay ends the session', async () => {
    const session = await api.login(demoEmail('operator2', tenantA));

    const answers = await Promise.all(
      Array.from({ length: 6 }, () =>
        api.call<TokenResponse>('POST', '/api/v1/auth/refresh', {
          body: { refreshToken: session.refreshToken },
        }),
      ),
    );

    const winners = answers.filter((a) => a.status === 200);
    expect(winners.length).toBeLessThanOrEqual(1);
    expect(answers.filter((a) => a.status !== 200).every((a) => a.status === 401)).toBe(true);
    // The losers were replays: the whole session is gone, the winner's new tokens included.
    for (const winner of winners) {
      expect((await api.call('GET', '/api/v1/me', { token: winner.body.accessToken })).status).toBe(401);
      expect(
        (await api.call('POST', '/api/v1/auth/refresh', { body: { refreshToken: winner.body.refreshToken } }))
          .status,
      ).toBe(401);
    }
    refused.push('concurrent refresh replay');
  });

  it('does not confuse the two kinds of token, and refuses an altered refresh token', async () => {
    const session = await api.login(demoEmail('maintenance', tenantA));
    const flipped = session.refreshToken.slice(0, -1) + (session.refreshToken.endsWith('A') ? 'B' : 'A');

    expect((await api.call('POST', '/api/v1/auth/refresh', { body: { refreshToken: flipped } })).status).toBe(
      401,
    );
    await expectRefused('a refresh token used as the access token', session.refreshToken);
    const asRefresh = await api.call('POST', '/api/v1/auth/refresh', {
      body: { refreshToken: session.accessToken },
    });
    expect([400, 401]).toContain(asRefresh.status);
    // The genuine refresh token still works: refusing the others did not end the session.
    expect(
      (await api.call('POST', '/api/v1/auth/refresh', { body: { refreshToken: session.refreshToken } }))
        .status,
    ).toBe(200);
  });
});
