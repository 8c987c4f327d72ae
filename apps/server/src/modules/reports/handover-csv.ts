import type { HandoverReport } from '@tidewatch/shared';
import { csvText } from '../telemetry/trend-query.ts';

const header = ['section', 'priority', 'state', 'alarm', 'asset', 'zone', 'raised_at', 'who', 'why', 'until'];

/**
 * The report's lists as one CSV table (a row per alarm set aside or standing, then per open incident), for a
 * spreadsheet; text fields are quoted and formulas neutralised.
 */
export function renderHandoverCsv(report: HandoverReport): string {
  const rows: string[][] = [header];
  const sections = [
    ['standing', report.standing],
    ['shelved', report.shelved],
    ['out_of_service', report.outOfService],
  ] as const;
  for (const [section, lines] of sections) {
    for (const line of lines) {
      rows.push([
        section,
        line.priority,
        line.state,
        line.ruleName,
        line.assetName ?? '',
        line.zoneName ?? '',
        line.raisedAt,
        line.who ?? '',
        line.why ?? '',
        line.until ?? '',
      ]);
    }
  }
  for (const incident of report.incidents) {
    rows.push([
      'incident',
      incident.priority,
      incident.status,
      `${incident.reference} ${incident.title}`,
      '',
      '',
      incident.openedAt,
      incident.assignee ?? '',
      '',
      '',
    ]);
  }
  return `${rows.map((row) => row.map(csvText).join(',')).join('\r\n')}\r\n`;
}
