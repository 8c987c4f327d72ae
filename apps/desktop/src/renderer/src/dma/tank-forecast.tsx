import { useAssetForecast } from './dma-queries.ts';

const duration = (seconds: number | null): string => {
  if (seconds === null) return 'not heading there';
  if (seconds <= 0) return 'now';
  const minutes = Math.round(seconds / 60);
  return minutes < 120 ? `in ${String(minutes)} min` : `in ${(minutes / 60).toFixed(1)} h`;
};

/** Time to full and to empty of a tank, sump or reservoir, from the trend of its level (refreshed live). */
export function TankForecast({ assetId, kind }: { assetId: string; kind: string }) {
  const watched = kind === 'tank' || kind === 'sump' || kind === 'reservoir';
  const forecast = useAssetForecast(assetId, watched);
  if (!watched || !forecast.data || forecast.data.series.length === 0) return null;
  return (
    <section aria-label="Level forecast" data-testid="tank-forecast">
      <h3>Level forecast</h3>
      {forecast.data.series.map((s) => (
        <p key={s.seriesId} data-series-id={s.seriesId}>
          {s.level === null || s.ratePerMin === null ? (
            'Too few recent readings for a trend.'
          ) : (
            <>
              {s.metricKey} {s.level.toFixed(1)} {s.unit}, {s.ratePerMin >= 0 ? 'rising' : 'falling'}{' '}
              {Math.abs(s.ratePerMin).toFixed(2)} {s.unit}/min · full{' '}
              <span data-testid="time-to-full">{duration(s.timeToFullS)}</span> · empty{' '}
              <span data-testid="time-to-empty">{duration(s.timeToEmptyS)}</span>
            </>
          )}
        </p>
      ))}
    </section>
  );
}
