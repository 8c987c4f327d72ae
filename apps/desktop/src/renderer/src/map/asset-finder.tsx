import { useEffect, useState } from 'react';
import { describeError } from '../api/api-error.ts';
import { useAssetSearch } from '../assets/asset-queries.ts';
import { useMapStore } from './map-store.ts';

/** Typing pauses this long before the server is asked. */
const SEARCH_DELAY_MS = 250;

/** Finds an asset by its code or name and opens its detail, as an operator does with a code off a work order. */
export function AssetFinder() {
  const select = useMapStore((state) => state.select);
  const [text, setText] = useState('');
  const [asked, setAsked] = useState('');
  const found = useAssetSearch(asked);

  useEffect(() => {
    const timer = window.setTimeout(() => {
      setAsked(text);
    }, SEARCH_DELAY_MS);
    return () => {
      window.clearTimeout(timer);
    };
  }, [text]);

  const open = text.trim().length >= 2;
  return (
    <div className="asset-finder">
      <input
        type="search"
        aria-label="Find asset"
        placeholder="Find asset by code or name"
        value={text}
        onChange={(e) => {
          setText(e.target.value);
        }}
        onKeyDown={(e) => {
          if (e.key === 'Escape') setText('');
        }}
      />
      {open ? (
        <ul className="asset-finder__results" aria-label="Assets found">
          {found.isError ? <li role="alert">{describeError(found.error)}</li> : null}
          {found.isPending || asked !== text ? <li className="muted">Searching…</li> : null}
          {found.data?.length === 0 && asked === text ? <li className="muted">No asset matches.</li> : null}
          {(found.data ?? []).map((feature) => (
            <li key={feature.id}>
              <button
                type="button"
                className="link"
                data-asset-id={feature.id}
                onClick={() => {
                  select(feature.id);
                  setText('');
                }}
              >
                {feature.properties.code}
              </button>{' '}
              <span className="muted">{feature.properties.name}</span>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
