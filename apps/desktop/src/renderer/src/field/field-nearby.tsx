import { useState } from 'react';
import { describeError } from '../api/api-error.ts';
import { useNearbyAssets } from './field-queries.ts';
import { routeHref } from './field-route.ts';

type Fix =
  | { kind: 'idle' }
  | { kind: 'locating' }
  | { kind: 'found'; at: [number, number] }
  | { kind: 'failed'; why: string };

/** Assets around the phone, from its position (asked for when the engineer taps, as browsers expect). */
export function FieldNearby() {
  const [fix, setFix] = useState<Fix>({ kind: 'idle' });
  const nearby = useNearbyAssets(fix.kind === 'found' ? fix.at : null);
  const locate = () => {
    setFix({ kind: 'locating' });
    navigator.geolocation.getCurrentPosition(
      (position) => {
        setFix({ kind: 'found', at: [position.coords.longitude, position.coords.latitude] });
      },
      (error) => {
        setFix({ kind: 'failed', why: error.message || 'The position is not available' });
      },
      { enableHighAccuracy: true, timeout: 20_000, maximumAge: 60_000 },
    );
  };
  return (
    <section aria-label="Nearby assets">
      <button
        type="button"
        className="button button--primary"
        onClick={locate}
        disabled={fix.kind === 'locating'}
      >
        {fix.kind === 'locating' ? 'Locating…' : 'Find assets near me'}
      </button>
      {fix.kind === 'failed' ? <p className="notice notice--error">{fix.why}</p> : null}
      {nearby.isError ? <p className="notice notice--error">{describeError(nearby.error)}</p> : null}
      {nearby.data ? (
        nearby.data.items.length === 0 ? (
          <p className="notice">No assets within 2 km.</p>
        ) : (
          <ul className="field-list" aria-label="Assets near me">
            {nearby.data.items.map((asset) => (
              <li key={asset.id}>
                <a className="field-card" href={routeHref({ screen: 'asset', id: asset.id })}>
                  <span className="field-card__title">{asset.name}</span>
                  <span className="field-card__meta">
                    {asset.code} · {asset.kind}
                  </span>
                </a>
              </li>
            ))}
          </ul>
        )
      ) : null}
    </section>
  );
}
