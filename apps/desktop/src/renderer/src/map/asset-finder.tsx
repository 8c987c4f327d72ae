import { useState } from 'react';
import { describeError } from '../api/api-error.ts';
import { useTypedAssetSearch } from '../assets/use-typed-asset-search.ts';
import { useMapStore } from './map-store.ts';

/** Finds an asset by its code or name and opens its detail, as an operator does with a code off a work order. */
export function AssetFinder() {
  const select = useMapStore((state) => state.select);
  const [text, setText] = useState('');
  const { asked, found } = useTypedAssetSearch(text);

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
