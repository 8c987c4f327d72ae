import type { AssetFeature, DownstreamTrace, IsolationPlan, PointAssetKind } from '@tidewatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { Api, startTestServer, tenantA } from './harness.ts';

/**
 * A looped test network, fed from a reservoir R1 and a borewell B2 (valve codes V*, junctions J*):
 *
 *   R1 -p1- V1 -p2- J1 -p3- V2 -p4- J2 -p5- J3 -p6- V3 -p7- J4 -p8- V5 -p9- B2
 *                                            |
 *                                           p13- V6 -p14- J5 -p15- J6
 *                                                          |
 *                                                         p16- V7 -p17- J7
 *
 * Pipes are drawn in both directions of flow (p8 and p9 point towards J4) to show direction does not matter.
 */
const POINTS: Record<string, PointAssetKind> = {
  R1: 'reservoir',
  B2: 'borewell',
  V1: 'valve',
  V2: 'valve',
  V3: 'valve',
  V5: 'valve',
  V6: 'valve',
  V7: 'valve',
  J1: 'junction',
  J2: 'junction',
  J3: 'junction',
  J4: 'junction',
  J5: 'junction',
  J6: 'junction',
  J7: 'junction',
};
const PIPES: Record<string, readonly [string, string]> = {
  p1: ['R1', 'V1'],
  p2: ['V1', 'J1'],
  p3: ['J1', 'V2'],
  p4: ['V2', 'J2'],
  p5: ['J2', 'J3'],
  p6: ['J3', 'V3'],
  p7: ['V3', 'J4'],
  p8: ['V5', 'J4'],
  p9: ['B2', 'V5'],
  p13: ['J3', 'V6'],
  p14: ['V6', 'J5'],
  p15: ['J5', 'J6'],
  p16: ['J5', 'V7'],
  p17: ['V7', 'J7'],
};
const connectionsOf = (name: string): number => (name.startsWith('J') ? Number(name.slice(1)) * 10 : 0);
const SOURCES = new Set(['R1', 'B2']);

interface Expected {
  valves: string[];
  sectionPipes: string[];
  sectionAssets: string[];
  lostPipes: string[];
  lostAssets: string[];
  unvalvedSources: string[];
}

/**
 * The plan worked out independently, by breadth-first searches over the node adjacency: the section is every
 * non-valve node reachable from the pipe's ends without passing a valve; supply is reachability from the
 * sources, before and after the section and its valves are taken out.
 */
function expectedPlan(pipe: string): Expected {
  const edges = Object.entries(PIPES);
  const neighbours = (node: string, skipPipes: ReadonlySet<string>): string[] =>
    edges.flatMap(([name, [a, b]]) => (skipPipes.has(name) ? [] : a === node ? [b] : b === node ? [a] : []));
  const bfs = (start: string[], allowed: (node: string) => boolean, skipPipes: ReadonlySet<string>) => {
    const seen = new Set(start.filter(allowed));
    const queue = [...seen];
    while (queue.length > 0) {
      const node = queue.shift() ?? '';
      for (const next of neighbours(node, skipPipes)) {
        if (!seen.has(next) && allowed(next)) {
          seen.add(next);
          queue.push(next);
        }
      }
    }
    return seen;
  };
  const ends = PIPES[pipe] ?? ['', ''];
  const section = bfs([...ends], (node) => POINTS[node] !== 'valve', new Set());
  const sectionPipes = edges
    .filter(([name, [a, b]]) => name === pipe || section.has(a) || section.has(b))
    .map(([name]) => name);
  const valves = [...new Set(sectionPipes.flatMap((name) => PIPES[name] ?? []))].filter(
    (node) => POINTS[node] === 'valve',
  );
  const closed = new Set([...section, ...valves]);
  const before = bfs([...SOURCES], () => true, new Set());
  const after = bfs([...SOURCES], (node) => !closed.has(node), new Set(sectionPipes));
  const fed = (name: string, supplied: ReadonlySet<string>) =>
    (PIPES[name] ?? []).some((n) => supplied.has(n));
  return {
    valves: valves.sort(),
    sectionPipes: sectionPipes.sort(),
    sectionAssets: [...section].sort(),
    lostPipes: edges
      .map(([name]) => name)
      .filter((name) => !sectionPipes.includes(name) && fed(name, before) && !fed(name, after))
      .sort(),
    lostAssets: [...before].filter((node) => !closed.has(node) && !after.has(node)).sort(),
    unvalvedSources: [...section].filter((node) => SOURCES.has(node)).sort(),
  };
}

describe('isolation plan of a pipe in a looped network', () => {
  let server: RunningServer;
  let api: Api;
  let token: string;
  const ids = new Map<string, string>();
  const names = new Map<string, string>();
  const prefix = `ISO${String(Date.now()).slice(-6)}`;

  beforeAll(async () => {
    server = await startTestServer();
    api = new Api(server.url);
    token = await api.tokenFor(tenantA.email('admin'));
    const at = (index: number): [number, number] => [
      73.7 + (index % 5) * 0.002,
      18.4 + Math.floor(index / 5) * 0.002,
    ];
    let index = 0;
    for (const [name, kind] of Object.entries(POINTS)) {
      const created = await api.request<AssetFeature>('POST', '/api/v1/assets', {
        token,
        body: {
          type: 'Feature',
          geometry: { type: 'Point', coordinates: at(index++) },
          properties: {
            code: `${prefix}-${name}`,
            name: `Isolation test ${name}`,
            kind,
            attributes: connectionsOf(name) > 0 ? { connections: connectionsOf(name) } : {},
          },
        },
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      ids.set(name, created.body.id);
    }
    for (const [name, [from, to]] of Object.entries(PIPES)) {
      const created = await api.request<AssetFeature>('POST', '/api/v1/assets', {
        token,
        body: {
          type: 'Feature',
          geometry: { type: 'LineString', coordinates: [at(index), at(index + 1)] },
          properties: {
            code: `${prefix}-${name}`,
            name: `Isolation test ${name}`,
            kind: 'pipeline',
            diameterMm: 150,
            fromAssetId: ids.get(from),
            toAssetId: ids.get(to),
          },
        },
      });
      index += 1;
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      ids.set(name, created.body.id);
    }
    for (const [name, id] of ids) names.set(id, name);
  });
  afterAll(async () => {
    // Archived, the test network leaves the tenant's live network as it found it.
    for (const id of ids.values()) await api.request('DELETE', `/api/v1/assets/${id}`, { token });
    await server.close();
  });

  const plan = async (pipe: string): Promise<IsolationPlan> => {
    const response = await api.request<IsolationPlan>(
      'GET',
      `/api/v1/spatial/pipes/${ids.get(pipe) ?? ''}/isolation`,
      {
        token,
      },
    );
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    return response.body;
  };
  const named = (list: readonly { id: string }[]): string[] =>
    list.map((item) => names.get(item.id) ?? '?').sort();
  const asComputed = (answer: IsolationPlan): Expected => ({
    valves: named(answer.valves),
    sectionPipes: named(answer.section.pipes),
    sectionAssets: named(answer.section.assets),
    lostPipes: named(answer.lostSupply.pipes),
    lostAssets: named(answer.lostSupply.assets),
    unvalvedSources: named(answer.unvalvedSources),
  });

  it('agrees with an independent graph search for every pipe of the network', async () => {
    for (const pipe of Object.keys(PIPES)) {
      expect(asComputed(await plan(pipe)), pipe).toEqual(expectedPlan(pipe));
    }
  });

  it('keeps supply through the loop where the downstream trace would cut it off', async () => {
    const answer = await plan('p3');
    expect(answer.isolated).toBe(true);
    expect(named(answer.valves)).toEqual(['V1', 'V2']);
    expect(named(answer.section.assets)).toEqual(['J1']);
    // The borewell feeds J2, J3 and the branch beyond them the other way round the loop.
    expect(answer.lostSupply).toEqual({ pipes: [], assets: [] });
    expect(answer.connectionsAffected).toBe(10);
    const trace = (
      await api.request<DownstreamTrace>('GET', `/api/v1/spatial/pipes/${ids.get('p3') ?? ''}/downstream`, {
        token,
      })
    ).body;
    expect(named(trace.assets)).toContain('J3');
  });

  it('names what a branch loses behind its valves, with its service connections', async () => {
    const answer = await plan('p5');
    expect(named(answer.valves)).toEqual(['V2', 'V3', 'V6']);
    expect(named(answer.section.assets)).toEqual(['J2', 'J3']);
    expect(named(answer.lostSupply.assets)).toEqual(['J5', 'J6', 'J7', 'V7']);
    expect(named(answer.lostSupply.pipes)).toEqual(['p14', 'p15', 'p16', 'p17']);
    expect(answer.connectionsAffected).toBe(20 + 30 + 50 + 60 + 70);
  });

  it('says so when no valve stands between a source and the pipe', async () => {
    const answer = await plan('p1');
    expect(answer.isolated).toBe(false);
    expect(named(answer.unvalvedSources)).toEqual(['R1']);
    expect(named(answer.valves)).toEqual(['V1']);
    // Everything else is fed from the borewell.
    expect(answer.lostSupply.assets).toEqual([]);
  });

  it('answers 404 for an asset that is not a pipe and 400 for a malformed id', async () => {
    const notPipe = await api.request('GET', `/api/v1/spatial/pipes/${ids.get('J1') ?? ''}/isolation`, {
      token,
    });
    expect(notPipe.status).toBe(404);
    expect((await api.request('GET', '/api/v1/spatial/pipes/nope/isolation', { token })).status).toBe(400);
  });
});
