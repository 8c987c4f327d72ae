import type { HandoverReport } from '@tidewatch/shared';
import PDFDocument from 'pdfkit';

/** A time as the control room reads it: its own wall clock, with the zone named once in the heading. */
function localTime(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    day: '2-digit',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(iso));
}

type AlertLine = HandoverReport['standing'][number];

/** A reason as a sentence: one full stop, whether the operator typed one or not. */
const sentence = (text: string | null, otherwise: string): string =>
  `${(text ?? otherwise).replace(/[.\s]+$/, '')}.`;

/**
 * The handover as a PDF made on the server (pdfkit, its built-in Helvetica: no browser, no font files): one
 * section per list, one paragraph per alarm or incident, so `pdftotext` reads it back line by line.
 */
export function renderHandoverPdf(report: HandoverReport, title = 'Shift handover'): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margin: 42,
    info: { Title: `${title}: ${report.tenantName}`, Author: report.preparedBy ?? 'Tidewatch' },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => {
      resolve(Buffer.concat(chunks));
    });
    doc.on('error', reject);
  });
  const at = (iso: string): string => localTime(iso, report.timeZone);

  doc.font('Helvetica-Bold').fontSize(17).text(`${title}: ${report.tenantName}`);
  doc
    .font('Helvetica')
    .fontSize(10)
    .text(`Period ${at(report.from)} to ${at(report.to)} (${report.timeZone})`)
    .text(`Prepared by ${report.preparedBy ?? 'unknown'}`)
    .text(
      `Alarm events in the shift: ${String(report.shiftEvents.raised)} raised, ` +
        `${String(report.shiftEvents.acknowledged)} acknowledged, ${String(report.shiftEvents.cleared)} cleared`,
    );
  if (report.notes) {
    doc.moveDown(0.6).font('Helvetica-Bold').fontSize(12).text('Notes');
    doc.font('Helvetica').fontSize(10).text(report.notes);
  }

  const section = (
    title: string,
    lines: readonly AlertLine[],
    describe: (line: AlertLine) => string,
  ): void => {
    doc
      .moveDown(0.8)
      .font('Helvetica-Bold')
      .fontSize(12)
      .text(`${title} (${String(lines.length)})`);
    doc.font('Helvetica').fontSize(9.5);
    if (lines.length === 0) doc.text('None.');
    for (const line of lines) {
      doc.text(
        `${line.priority.toUpperCase()}  ${line.ruleName}: ${line.assetName ?? 'no asset'}` +
          `${line.zoneName ? ` (${line.zoneName})` : ''}, raised ${at(line.raisedAt)}. ${describe(line)}`,
      );
    }
  };
  section('Standing alarms', report.standing, (line) =>
    line.state === 'active_acknowledged'
      ? `Acknowledged by ${line.who ?? 'unknown'}.`
      : line.state === 'returned_unacknowledged'
        ? 'Cleared, not acknowledged.'
        : 'Not acknowledged.',
  );
  section(
    'Shelved alarms',
    report.shelved,
    (line) =>
      `Shelved by ${line.who ?? 'the system'} until ${line.until ? at(line.until) : 'unshelved'}: ${sentence(line.why, 'no reason given')}`,
  );
  section(
    'Out of service',
    report.outOfService,
    (line) => `Out of service by ${line.who ?? 'unknown'}: ${sentence(line.why, 'no reason given')}`,
  );

  doc
    .moveDown(0.8)
    .font('Helvetica-Bold')
    .fontSize(12)
    .text(`Open incidents (${String(report.incidents.length)})`);
  doc.font('Helvetica').fontSize(9.5);
  if (report.incidents.length === 0) doc.text('None.');
  for (const incident of report.incidents) {
    doc.text(
      `${incident.reference}  ${incident.title} [${incident.status.replace('_', ' ')}, ${incident.priority}], ` +
        `opened ${at(incident.openedAt)}, assigned to ${incident.assignee ?? 'nobody'}.`,
    );
  }
  const { kpis, downtime } = report;
  const raised = kpis.raisedByPriority;
  doc.moveDown(0.8).font('Helvetica-Bold').fontSize(12).text('Alarm rates against EEMUA 191');
  doc
    .font('Helvetica')
    .fontSize(9.5)
    .text(
      `Raised: ${String(raised.critical)} critical, ${String(raised.high)} high, ${String(raised.medium)} medium, ` +
        `${String(raised.low)} low.`,
    )
    .text(`Average ${kpis.averagePerHour.toFixed(2)} per hour: ${kpis.averageVerdict}.`)
    .text(`Busiest ten minutes: ${String(kpis.peakPer10Min)} alarms: ${kpis.peakVerdict}.`)
    .text(
      `Median time to acknowledge: ${
        kpis.medianAcknowledgeS === null
          ? 'none acknowledged'
          : `${String(Math.round(kpis.medianAcknowledgeS / 60))} min`
      }.`,
    );
  doc
    .moveDown(0.8)
    .font('Helvetica-Bold')
    .fontSize(12)
    .text(`Device downtime (${String(downtime.devices)} devices)`);
  doc.font('Helvetica').fontSize(9.5);
  if (downtime.devices === 0) doc.text('None.');
  for (const item of downtime.longest) {
    doc.text(
      `${item.deviceName}${item.assetName ? ` (${item.assetName})` : ''}: offline ${String(item.minutes)} min ` +
        `from ${at(item.startedAt)}${item.endedAt ? ` to ${at(item.endedAt)}` : ', still offline'}.`,
    );
  }
  doc.end();
  return done;
}
