import { ALERT_RULE_PREVIEW_DAYS, type AlertRulePreview } from '@tidewatch/shared';
import { formatDateTime, formatValue } from './format.ts';

/** Raise times listed under the counts; the server sends up to a hundred. */
const LISTED_RAISES = 10;

export const formatDuration = (seconds: number): string => {
  if (seconds < 90) return `${String(Math.round(seconds))} s`;
  if (seconds < 5400) return `${String(Math.round(seconds / 60))} min`;
  if (seconds < 48 * 3600) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} d`;
};

const resolutionNote = (preview: AlertRulePreview): string =>
  preview.resolution === 'raw'
    ? `${String(preview.points)} stored readings`
    : `${String(preview.points)} minutes of the 1-minute rollup (too many readings to replay one by one)`;

/** How often the rule in the editor would have raised on the last days of its targets' readings. */
export function AlertRulePreviewResult({ preview, stale }: { preview: AlertRulePreview; stale: boolean }) {
  const labels = new Map(preview.targets.map((t) => [t.seriesId, `${t.label} · ${t.metricKey ?? ''}`]));
  const listed = preview.raises.slice(0, LISTED_RAISES);
  const more = preview.totalRaises - listed.length;
  return (
    <div
      className={`rule-preview${stale ? ' rule-preview--stale' : ''}`}
      data-testid="rule-preview"
      data-total={preview.totalRaises}
      aria-live="polite"
    >
      <p className="rule-preview__headline">
        <strong data-testid="rule-preview-total">{preview.totalRaises}</strong>{' '}
        {preview.totalRaises === 1 ? 'raise' : 'raises'} in the last {ALERT_RULE_PREVIEW_DAYS} days, in alarm
        for {formatDuration(preview.timeInAlarmS)} over {preview.targets.length}{' '}
        {preview.targets.length === 1 ? 'series' : 'series together'}
        {stale ? (
          <span className="rule-preview__stale"> (before your last change: preview again)</span>
        ) : null}
      </p>
      <p className="detail__muted">
        From {resolutionNote(preview)}, {formatDateTime(preview.from)} to {formatDateTime(preview.to)}; each
        alert taken as closed when its condition cleared.
      </p>
      {preview.targets.length > 1 ? (
        <table className="kpi-table rule-preview__targets" aria-label="Raises per series">
          <thead>
            <tr>
              <th>Series</th>
              <th>Raises</th>
              <th>In alarm</th>
            </tr>
          </thead>
          <tbody>
            {preview.targets.map((target) => (
              <tr key={target.targetKey}>
                <td>{labels.get(target.seriesId)}</td>
                <td className="cell--number">{target.raiseCount}</td>
                <td className="cell--number">{formatDuration(target.timeInAlarmS)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {listed.length > 0 ? (
        <ol className="rule-preview__raises" aria-label="Raise times">
          {listed.map((raise) => (
            <li key={`${raise.at} ${String(raise.seriesId)}`}>
              {formatDateTime(raise.at)}
              {raise.value === null ? '' : ` at ${formatValue(raise.value)}`}
              {preview.targets.length > 1 ? ` · ${labels.get(raise.seriesId) ?? ''}` : ''}
            </li>
          ))}
        </ol>
      ) : null}
      {more > 0 ? <p className="detail__muted">and {more} more</p> : null}
    </div>
  );
}
