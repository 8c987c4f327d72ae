import { useMutation, useQueryClient } from '@tanstack/react-query';
import { pipeMaterials, type AssetFeature, type AssetUpdate, type PipeMaterial } from '@tidewatch/shared';
import { useEffect, useState } from 'react';
import { describeError } from '../api/api-error.ts';
import { networkChanged } from '../map/map-queries.ts';
import { useMapStore } from '../map/map-store.ts';
import { useZoneNames } from '../reference/reference-data.ts';
import { useSessionStore } from '../session/session-store.ts';
import { changesOf, draftOf, type AssetDraft } from './asset-draft.ts';
import { archiveAsset, updateAsset } from './asset-queries.ts';

/**
 * Edits an asset for those who may (`asset:write`): its name, zone, pipe attributes, and for a point asset its
 * place, chosen by a click on the map. The map's colours and clusters follow once the change is saved.
 */
export function AssetEditor({ feature }: { feature: AssetFeature }) {
  const queryClient = useQueryClient();
  const tenantId = useSessionStore((state) => state.session?.tenantId ?? null);
  const zones = useZoneNames(tenantId);
  const mode = useMapStore((state) => state.mode);
  const setMode = useMapStore((state) => state.setMode);
  const [draft, setDraft] = useState<AssetDraft>(() => draftOf(feature));
  const pipeline = feature.properties.kind === 'pipeline';

  const saved = (updated: AssetFeature) => {
    queryClient.setQueryData(['asset', feature.id], updated);
    setDraft(draftOf(updated));
    void networkChanged(queryClient);
  };
  const save = useMutation({
    mutationFn: (change: AssetUpdate) => updateAsset(feature.id, change),
    onSuccess: saved,
  });
  // Off the network: the asset leaves the map, and its detail shows it archived (or gone, if nothing named it).
  const archive = useMutation({
    mutationFn: () => archiveAsset(feature.id),
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: ['asset', feature.id] });
      void networkChanged(queryClient);
    },
  });

  // The map reports where the asset was placed; the editor saves it and leaves the moving mode.
  const placed = mode.kind === 'moving' && mode.assetId === feature.id ? mode.to : null;
  useEffect(() => {
    if (!placed) return;
    setMode({ kind: 'browse' });
    save.mutate({ geometry: { type: 'Point', coordinates: [placed[0], placed[1]] } });
    // Only a new place starts a save (`save` and `setMode` are the same functions on every render).
  }, [placed]);

  const change = Object.keys(changesOf(feature, draft)).length > 0;
  const field = (key: keyof AssetDraft) => ({
    value: draft[key],
    onChange: (event: { target: { value: string } }) => {
      setDraft({ ...draft, [key]: event.target.value });
    },
  });

  return (
    <details className="asset-editor" data-testid="asset-editor">
      <summary>Edit asset</summary>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          save.mutate(changesOf(feature, draft));
        }}
      >
        <label>
          Name <input required maxLength={200} {...field('name')} />
        </label>
        <label>
          Zone{' '}
          <select {...field('zoneId')}>
            <option value="">No zone</option>
            {[...(zones.data ?? new Map<string, string>())].map(([id, name]) => (
              <option key={id} value={id}>
                {name}
              </option>
            ))}
          </select>
        </label>
        {pipeline ? (
          <>
            <label>
              Diameter (mm) <input type="number" min={10} max={5000} step={1} {...field('diameterMm')} />
            </label>
            <label>
              Material{' '}
              <select {...field('material')}>
                <option value="">Unknown</option>
                {pipeMaterials.map((material: PipeMaterial) => (
                  <option key={material} value={material}>
                    {material.replace('_', ' ')}
                  </option>
                ))}
              </select>
            </label>
          </>
        ) : null}
        <label>
          Installed on <input type="date" {...field('installedOn')} />
        </label>
        <label>
          Tags <input placeholder="criticality:high renewal" data-testid="asset-tags" {...field('tags')} />
        </label>
        <div className="asset-editor__actions">
          <button type="submit" disabled={!change || save.isPending}>
            Save
          </button>
          {pipeline ? null : (
            <button
              type="button"
              disabled={save.isPending}
              onClick={() => {
                setMode({ kind: 'moving', assetId: feature.id, code: feature.properties.code, to: null });
              }}
            >
              Move on the map
            </button>
          )}
        </div>
        {save.isError ? (
          <p role="alert" className="notice notice--error">
            {describeError(save.error)}
          </p>
        ) : null}
        {save.isSuccess ? (
          <p role="status" className="muted">
            Saved.
          </p>
        ) : null}
      </form>
      <button
        type="button"
        disabled={archive.isPending}
        onClick={() => {
          if (
            window.confirm(
              `Archive ${feature.properties.code}? It leaves the map and its devices are unbound; ` +
                'its alerts, incidents and maintenance logs stay.',
            )
          )
            archive.mutate();
        }}
      >
        Archive asset
      </button>
      {archive.isError ? (
        <p role="alert" className="notice notice--error">
          {describeError(archive.error)}
        </p>
      ) : null}
    </details>
  );
}
