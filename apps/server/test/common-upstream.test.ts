import type { CommonUpstream, DownstreamTrace } from '@tidewatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { adminQuery, Api, startTestServer, tenantB } from './harness.ts';

describe('the common upstream pipe of alarmed assets', () => {
  let server: RunningServer;
  let api: Api;
  let token: string;

  beforeAll(async () => {
    server = await startTestServer();
    api = new Api(server.url);
    token = await api.tokenFor(tenantB.email('supervisor'));
  });
  afterAll(async () => {
    await server.close();
  });

  const downstream = async (pipeId: string) =>
    (await api.request<DownstreamTrace>('GET', `/api/v1/spatial/pipes/${pipeId}/downstream`, { token })).body;
  const common = (assetIds: string[]) =>
    api.request<CommonUpstream>('POST', '/api/v1/spatial/common-upstream', { token, body: { assetIds } });

  it('finds the nearest pipe feeding assets of two branches, and none for one asset', async () => {
    // A pipe that splits: its end feeds at least two pipes, each feeding some point asset. The pipe is the only
    // one into its end, and each of the two assets has only its one pipe in: no other pipe is as near to both.
    // Chosen by code, not by id: ids are drawn afresh by every seeding, codes are not.
    const [fork] = await adminQuery<{ id: string; a: string; b: string }>(
      `WITH pipes_in AS (
         SELECT to_asset_id AS asset_id, count(*) AS n FROM assets
          WHERE kind = 'pipeline' AND archived_at IS NULL AND to_asset_id IS NOT NULL GROUP BY to_asset_id)
       SELECT p.id, c1.to_asset_id AS a, c2.to_asset_id AS b
         FROM assets p
         JOIN assets c1 ON c1.from_asset_id = p.to_asset_id AND c1.kind = 'pipeline' AND c1.archived_at IS NULL
         JOIN assets c2 ON c2.from_asset_id = p.to_asset_id AND c2.kind = 'pipeline' AND c2.archived_at IS NULL
                       AND c2.code > c1.code
         JOIN assets x1 ON x1.id = c1.to_asset_id AND x1.kind <> 'pipeline'
         JOIN assets x2 ON x2.id = c2.to_asset_id AND x2.kind <> 'pipeline'
         JOIN pipes_in j ON j.asset_id = p.to_asset_id AND j.n = 1
         JOIN pipes_in i1 ON i1.asset_id = x1.id AND i1.n = 1
         JOIN pipes_in i2 ON i2.asset_id = x2.id AND i2.n = 1
         JOIN tenants t ON t.id = p.tenant_id
        WHERE t.slug = $1 AND p.kind = 'pipeline' AND p.archived_at IS NULL AND x1.id <> x2.id
        ORDER BY p.code, c1.code, c2.code
        LIMIT 1`,
      [tenantB.slug],
    );
    expect(fork).toBeDefined();
    const both = await common([fork?.a ?? '', fork?.b ?? '']);
    expect(both.status).toBe(200);
    expect(both.body.fed).toBe(2);
    // The fork's pipe feeds both; nothing nearer does (their own feeding pipes part there).
    expect(both.body.pipe?.id).toBe(fork?.id);
    const trace = await downstream(both.body.pipe?.id ?? '');
    const reached = new Set(trace.assets.map((a) => a.id));
    expect(reached.has(fork?.a ?? '')).toBe(true);
    expect(reached.has(fork?.b ?? '')).toBe(true);

    const one = await common([fork?.a ?? '']);
    expect(one.body).toEqual({ pipe: null, fed: 0 });
  });

  it('refuses a body that is not a list of ids', async () => {
    expect(
      (await api.request('POST', '/api/v1/spatial/common-upstream', { token, body: { assetIds: [] } }))
        .status,
    ).toBe(400);
  });
});
