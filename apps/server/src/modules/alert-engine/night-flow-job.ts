import type pg from 'pg';
import { prepared } from '../../http/json-page.ts';
import { dmaNights, loadDmas, tenantTimeZone } from '../dma/dma-balance.ts';
import { describeStep, judgeNights, nightsToRead } from '../dma/night-flow-step.ts';
import type { AlertChange } from './alert-changes.ts';
import { clearAlert, raiseAlert } from './alert-lifecycle.ts';
import { alertMessage } from './messages.ts';
import type { TenantRules } from './rule-cache.ts';

/**
 * Night-flow step rules, in the caller's transaction (tenant context set). Each rule's DMA is judged on its last
 * complete night (the nights before it judged in turn, so those a step flagged stay out of its history): a step
 * raises, a quiet night clears. A night is complete once its window has ended and every meter reported in each of
 * its hours, so a burst at midnight is known when the window ends in the morning, not before.
 */
export async function checkNightFlow(
  client: pg.PoolClient,
  rules: TenantRules,
  now: number,
): Promise<AlertChange[]> {
  if (rules.nightFlow.length === 0) return [];
  const timeZone = await tenantTimeZone(client);
  const open = await client.query<{ rule_id: string; target_key: string; condition_active: boolean }>(
    prepared(
      `SELECT rule_id, target_key, condition_active FROM alerts WHERE closed_at IS NULL AND rule_id = ANY($1::uuid[])`,
      [rules.nightFlow.map((rule) => rule.id)],
    ),
  );
  const active = new Map(open.rows.map((row) => [`${row.rule_id}|${row.target_key}`, row.condition_active]));
  const changes: AlertChange[] = [];
  for (const rule of rules.nightFlow) {
    const [dma] = await loadDmas(client, null, rule.zoneId);
    if (!dma) continue;
    const nights = await dmaNights(client, dma, timeZone, nightsToRead(rule.nightFlow), new Date(now));
    const judged = judgeNights(
      nights.map((n) => ({
        date: n.date,
        windowEnd: Date.parse(n.windowEnd),
        minNightFlowLph: n.minNightFlowLph,
      })),
      rule.nightFlow,
    );
    const last = judged.filter((night) => night.minNightFlowLph !== null).at(-1);
    if (!last) continue;
    const targetKey = `zone:${dma.zoneId}`;
    const isActive = active.get(`${rule.id}|${targetKey}`) === true;
    if (last.stepped && !isActive) {
      const outcome = await raiseAlert(client, {
        ruleId: rule.id,
        targetKey,
        seriesId: null,
        deviceId: null,
        assetId: null,
        zoneId: dma.zoneId,
        priority: rule.priority,
        message: alertMessage(
          rule,
          {
            key: targetKey,
            seriesId: null,
            deviceId: '',
            assetId: null,
            zoneId: dma.zoneId,
            label: dma.name,
            metricKey: null,
            unit: 'L/h',
          },
          describeStep(last),
        ),
        value: last.minNightFlowLph,
        cooldownS: rule.cooldownS,
      });
      changes.push(...outcome.changes);
    } else if (!last.stepped && isActive) {
      changes.push(...(await clearAlert(client, { ruleId: rule.id, targetKey }, last.minNightFlowLph)));
    }
  }
  return changes;
}
