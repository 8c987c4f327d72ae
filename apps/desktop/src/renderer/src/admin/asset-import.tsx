import { useQueryClient } from '@tanstack/react-query';
import { assetImportSchema, type AssetExport } from '@tidewatch/shared';
import { useState } from 'react';
import { apiFile } from '../api/api-client.ts';
import { describeError } from '../api/api-error.ts';
import { networkChanged } from '../map/map-queries.ts';
import { saveFile } from '../trends/trend-queries.ts';
import { importAssets, type AssetImportResult } from './admin-queries.ts';

type ImportState =
  | { readonly kind: 'idle' }
  | { readonly kind: 'sending'; readonly fileName: string }
  | { readonly kind: 'done'; readonly fileName: string; readonly result: AssetImportResult }
  | { readonly kind: 'failed'; readonly message: string };

type ExportState =
  | { readonly kind: 'idle' }
  | { readonly kind: 'sending' }
  | { readonly kind: 'done'; readonly count: number }
  | { readonly kind: 'failed'; readonly message: string };

/** Saves every asset the user may see as a GeoJSON file this import takes back as it is. */
function AssetExportButton() {
  const [state, setState] = useState<ExportState>({ kind: 'idle' });
  const exportAll = async () => {
    setState({ kind: 'sending' });
    try {
      const file = await apiFile('/assets/export');
      const count = (JSON.parse(await file.text()) as AssetExport).features.length;
      saveFile(file, `assets-${new Date().toISOString().slice(0, 10)}.geojson`);
      setState({ kind: 'done', count });
    } catch (failure: unknown) {
      setState({ kind: 'failed', message: describeError(failure) });
    }
  };
  return (
    <>
      <button
        type="button"
        disabled={state.kind === 'sending'}
        onClick={() => {
          void exportAll();
        }}
      >
        {state.kind === 'sending' ? 'Exporting…' : 'Export GeoJSON'}
      </button>
      {state.kind === 'done' ? (
        <span role="status" className="admin__muted" data-testid="export-result" data-count={state.count}>
          {state.count} assets exported.
        </span>
      ) : null}
      {state.kind === 'failed' ? (
        <p role="alert" className="notice notice--error">
          {state.message}
        </p>
      ) : null}
    </>
  );
}

/** Checks a GeoJSON file with the shared schema before sending it, so a wrong file says why at once. */
async function readCollection(file: File) {
  let json: unknown;
  try {
    json = JSON.parse(await file.text());
  } catch {
    throw new Error(`${file.name} is not JSON`);
  }
  const parsed = assetImportSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `${file.name}: ${issue ? `${issue.path.join('.') || 'file'}: ${issue.message}` : 'not an asset FeatureCollection'}`,
    );
  }
  return parsed.data;
}

/**
 * Import assets from a GeoJSON FeatureCollection (new codes are created, known codes updated, all or nothing),
 * or export them to one.
 */
export function AssetImport() {
  const queryClient = useQueryClient();
  const [state, setState] = useState<ImportState>({ kind: 'idle' });

  const send = async (file: File) => {
    setState({ kind: 'sending', fileName: file.name });
    try {
      const result = await importAssets(await readCollection(file));
      setState({ kind: 'done', fileName: file.name, result });
      void networkChanged(queryClient);
    } catch (failure: unknown) {
      setState({ kind: 'failed', message: describeError(failure) });
    }
  };

  return (
    <section className="admin__section" aria-labelledby="import-heading">
      <h2 id="import-heading">Assets as GeoJSON</h2>
      <div className="admin__form">
        <label>
          GeoJSON file{' '}
          <input
            type="file"
            accept=".geojson,.json,application/geo+json,application/json"
            disabled={state.kind === 'sending'}
            onChange={(event) => {
              const file = event.target.files?.[0];
              event.target.value = '';
              if (file) void send(file);
            }}
          />
        </label>
        <AssetExportButton />
      </div>
      {state.kind === 'sending' ? <p className="muted">Importing {state.fileName}…</p> : null}
      {state.kind === 'done' ? (
        <p
          role="status"
          data-testid="import-result"
          data-created={state.result.created}
          data-updated={state.result.updated}
        >
          {state.fileName}: {state.result.created} created, {state.result.updated} updated.
        </p>
      ) : null}
      {state.kind === 'failed' ? (
        <p role="alert" className="notice notice--error">
          {state.message}
        </p>
      ) : null}
    </section>
  );
}
