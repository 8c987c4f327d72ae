import { RedisAdapter } from '@socket.io/redis-adapter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { startRedisServer, type TestRedisServer } from '../src/testing/redis-server.ts';
import { createTestCertificates, type TestCertificates } from '../src/testing/test-certificates.ts';
import { Api, startInstances, startTestServer, tenantA } from './harness.ts';
import { TestSocket } from './realtime-client.ts';

const PASSWORD = 'redis-test-password';

describe('Redis with a password, over TLS (rediss://)', () => {
  let certificates: TestCertificates;
  let redis: TestRedisServer;
  const instances: RunningServer[] = [];

  beforeAll(async () => {
    certificates = await createTestCertificates();
    redis = await startRedisServer({
      password: PASSWORD,
      tls: { ...(await certificates.server('redis')), caFile: certificates.caFile },
    });
  });
  afterAll(async () => {
    for (const instance of instances) await instance.close();
    await redis.stop();
    await certificates.remove();
  });

  const url = (password: string) => `rediss://:${password}@127.0.0.1:${String(redis.port)}`;

  it('carries Socket.IO between two instances', async () => {
    instances.push(
      ...(await startInstances(2, url(PASSWORD), () => ({ REDIS_CA_FILE: certificates.caFile }))),
    );
    const [one, two] = instances;
    if (!one || !two) throw new Error('two instances');
    const api = new Api(one.url);
    const socket = await TestSocket.connect(one.url, {
      token: await api.tokenFor(tenantA.email('operator')),
    });
    try {
      // Instance two asks every instance, through Redis, for its rooms: each socket has one named by its id.
      const adapter = two.realtime.io.of('/').adapter;
      if (!(adapter instanceof RedisAdapter)) throw new Error('instance two has no Redis adapter');
      expect(await adapter.allRooms()).toContain(socket.socket.id);
    } finally {
      socket.close();
    }
  });

  it('does not start with a wrong password, or without trusting the CA', async () => {
    await expect(
      startTestServer({ REDIS_URL: url('wrong-password'), REDIS_CA_FILE: certificates.caFile }),
    ).rejects.toThrow(/WRONGPASS|invalid username-password|invalid password/i);
    await expect(startTestServer({ REDIS_URL: url(PASSWORD) })).rejects.toThrow(
      /self-signed|unable to verify|certificate|did not answer/i,
    );
  });
});
