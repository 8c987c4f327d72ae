import type pg from 'pg';
import type { PlannedNetwork } from './network.ts';
import { STEP_MS, type Scenario } from './scenario.ts';
import { leakShareLpm } from './simulate.ts';

/**
 * Attributes the live demo and the network analytics read from the seeded assets:
 * - `simulatedLeak` on the inlet meters of the leaking DMA: when the leak began and how fast each meter's share
 *   grows, so the simulator carries the leak on where the seeded history left it;
 * - `connections` on junctions: the customer service connections taken off the main there, which an isolation
 *   plan counts as losing supply.
 */
export async function annotateDemoAssets(
  client: pg.Client,
  network: PlannedNetwork,
  assetIds: ReadonlyMap<string, string>,
  scenario: Scenario,
  end: number,
): Promise<void> {
  const startedAt = new Date(end - scenario.leak.startStepsAgo * STEP_MS).toISOString();
  const extras = network.points.flatMap((point): { id: string; extra: Record<string, unknown> }[] => {
    const id = assetIds.get(point.code);
    if (!id) return [];
    const share = leakShareLpm(scenario, network, point);
    if (share > 0) return [{ id, extra: { simulatedLeak: { startedAt, growthLpmPerDay: share } } }];
    // Spread deterministically over 20 to 199, so the plans of neighbouring pipes differ.
    if (point.kind === 'junction') return [{ id, extra: { connections: 20 + ((point.ordinal * 37) % 180) } }];
    return [];
  });
  await client.query(
    `UPDATE assets a SET properties = a.properties || r.extra
       FROM jsonb_to_recordset($1::jsonb) AS r (id uuid, extra jsonb)
      WHERE a.id = r.id`,
    [JSON.stringify(extras)],
  );
}
