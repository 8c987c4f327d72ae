import { healthBand, useAssetHealth } from './health-queries.ts';

/** An asset's health score with the reasons it is not 100, and a pump's runtime, starts and availability. */
export function AssetHealthPanel({ assetId }: { assetId: string }) {
  const health = useAssetHealth(assetId);
  if (!health.data) return null;
  const { score, reasons, pump } = health.data;
  return (
    <section aria-label="Health" data-testid="asset-health">
      <h3>
        Health{' '}
        <span data-testid="health-score" data-band={healthBand(score)}>
          {score}
        </span>{' '}
        / 100
      </h3>
      {reasons.length === 0 ? (
        <p>Nothing to report.</p>
      ) : (
        <ul>
          {reasons.map((reason) => (
            <li key={reason.code} data-reason={reason.code}>
              −{reason.penalty}: {reason.detail}
            </li>
          ))}
        </ul>
      )}
      {pump ? (
        <p data-testid="pump-runtime">
          Last 24 h: ran {pump.runtimeHours.toFixed(1)} h, {pump.starts} starts (
          {pump.startsPerHour.toFixed(2)}/h), available {Math.round(pump.availability * 100)} %
          {pump.running === null ? '' : pump.running ? ' · running' : ' · stopped'}
        </p>
      ) : null}
    </section>
  );
}
