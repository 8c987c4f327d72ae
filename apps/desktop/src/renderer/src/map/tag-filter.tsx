import { tagSchema } from '@tidewatch/shared';
import { useState } from 'react';
import { describeError } from '../api/api-error.ts';
import { useAssetsByTag } from '../assets/asset-queries.ts';
import { useMapStore } from './map-store.ts';

/** Narrows the map to the assets with a tag and lists them, so an operator can open one. */
export function TagFilter() {
  const tag = useMapStore((state) => state.tag);
  const filterByTag = useMapStore((state) => state.filterByTag);
  const select = useMapStore((state) => state.select);
  const [text, setText] = useState(tag);
  const assets = useAssetsByTag(tag);
  const valid = text.trim() === '' || tagSchema.safeParse(text).success;

  return (
    <form
      className="tag-filter"
      data-testid="tag-filter"
      onSubmit={(event) => {
        event.preventDefault();
        if (valid) filterByTag(text.trim());
      }}
    >
      <input
        type="search"
        aria-label="Filter by tag"
        placeholder="Tag (criticality or criticality:high)"
        aria-invalid={!valid}
        value={text}
        onChange={(event) => {
          setText(event.target.value);
          if (event.target.value === '') filterByTag('');
        }}
      />
      <button type="submit" disabled={!valid}>
        Filter
      </button>
      {tag ? (
        <button
          type="button"
          onClick={() => {
            setText('');
            filterByTag('');
          }}
        >
          Show all
        </button>
      ) : null}
      {tag ? (
        <ul className="tag-filter__results" aria-label="Assets with the tag">
          {assets.isError ? <li role="alert">{describeError(assets.error)}</li> : null}
          {assets.isPending ? <li className="muted">Loading…</li> : null}
          {assets.data?.length === 0 ? <li className="muted">No asset has this tag.</li> : null}
          {(assets.data ?? []).map((feature) => (
            <li key={feature.id}>
              <button
                type="button"
                className="link"
                data-asset-id={feature.id}
                onClick={() => {
                  select(feature.id);
                }}
              >
                {feature.properties.code}
              </button>{' '}
              <span className="muted">{feature.properties.name}</span>
            </li>
          ))}
        </ul>
      ) : null}
    </form>
  );
}
