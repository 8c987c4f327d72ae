import { useMemo, useState } from 'react';
import { useTypedAssetSearch } from '../assets/use-typed-asset-search.ts';
import { useAssetLabels } from '../reference/asset-labels.ts';

const RESULTS = 30;

/**
 * Chooses one asset of a network that may hold a million: the operator types part of a code or name and picks
 * from what matches, instead of scrolling a list of every asset. `id` names the list, for the field's label.
 */
export function AssetPicker({
  id,
  tenantId,
  value,
  disabled,
  onChange,
}: {
  id: string;
  tenantId: string;
  value: string;
  disabled: boolean;
  onChange: (assetId: string) => void;
}) {
  const [text, setText] = useState('');
  const { found } = useTypedAssetSearch(text, RESULTS);
  const chosenIds = useMemo(() => [value], [value]);
  const chosen = useAssetLabels(tenantId, chosenIds).get(value);
  const options = (found.data ?? []).filter((feature) => feature.id !== value);

  return (
    <div className="asset-picker">
      {disabled ? null : (
        <input
          type="search"
          aria-label="Search assets by code or name"
          placeholder="Type 2+ letters of a code or name"
          value={text}
          onChange={(event) => {
            setText(event.target.value);
          }}
        />
      )}
      <select
        id={id}
        value={value}
        disabled={disabled}
        onChange={(event) => {
          onChange(event.target.value);
        }}
      >
        <option value="">
          {options.length > 0 ? `Choose of ${String(options.length)} found…` : 'Choose an asset…'}
        </option>
        {value ? <option value={value}>{chosen ? `${chosen.code} — ${chosen.name}` : value}</option> : null}
        {options.map((feature) => (
          <option key={feature.id} value={feature.id}>
            {feature.properties.code} — {feature.properties.name}
          </option>
        ))}
      </select>
    </div>
  );
}
