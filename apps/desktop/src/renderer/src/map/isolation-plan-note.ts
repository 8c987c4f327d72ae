import type { IsolationPlan } from '@tidewatch/shared';

const MAX_CODES = 60;

/**
 * An isolation plan as the text of an incident note: the plan as it was when the operator attached it, which the
 * incident keeps even after the network changes. The first line names the pipe so a reader of the timeline sees
 * at once what the note is.
 */
export function isolationPlanNote(plan: IsolationPlan, pipeCode: string): string {
  // A note holds at most 10,000 characters: long lists name their first codes and count the rest.
  const codes = (items: readonly { code: string }[]) => {
    if (items.length === 0) return 'none';
    const named = items
      .slice(0, MAX_CODES)
      .map((item) => item.code)
      .join(', ');
    return items.length > MAX_CODES ? `${named} and ${String(items.length - MAX_CODES)} more` : named;
  };
  const lines = [`Isolation plan for ${pipeCode}`, `Close valves: ${codes(plan.valves)}`];
  if (!plan.isolated) {
    lines.push(
      `Not isolated by valves: no valve between the pipe and ${codes(plan.unvalvedSources)}; stop them.`,
    );
  }
  lines.push(
    `Shut in with the pipe: ${codes(plan.section.pipes)}; assets ${codes(plan.section.assets)}`,
    `Lose supply: assets ${codes(plan.lostSupply.assets)}; pipes ${codes(plan.lostSupply.pipes)}`,
    `Service connections affected: ${String(plan.connectionsAffected)}`,
  );
  if (plan.hiddenOutsideZones > 0) {
    lines.push(`${String(plan.hiddenOutsideZones)} more items lie outside your zones and are not listed.`);
  }
  return lines.join('\n');
}
