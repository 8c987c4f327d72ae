import type { DownstreamTrace } from '@tidewatch/shared';
import { useMapStore } from './map-store.ts';

/** What a burst of the traced pipe starves: the pipes downstream of it hop by hop, and the assets they feed. */
export function DownstreamTraceList({ trace }: { trace: DownstreamTrace }) {
  const select = useMapStore((state) => state.select);
  const start = trace.pipes.find((pipe) => pipe.id === trace.pipeId);
  return (
    <section
      className="downstream-trace"
      aria-label="Downstream trace"
      data-testid="trace-result"
      data-pipe-id={trace.pipeId}
    >
      <p>
        Downstream of <strong>{start?.code ?? 'the pipe'}</strong>:{' '}
        <strong data-testid="trace-pipes">{trace.pipes.length}</strong> pipes (itself included),{' '}
        <strong data-testid="trace-assets">{trace.assets.length}</strong> assets fed
      </p>
      <ol className="downstream-trace__pipes" aria-label="Traced pipes" data-testid="trace-pipe-list">
        {trace.pipes.map((pipe) => (
          <li key={pipe.id} data-pipe-id={pipe.id} data-code={pipe.code} data-depth={pipe.depth}>
            <button
              type="button"
              className="link"
              onClick={() => {
                select(pipe.id);
              }}
            >
              {pipe.code}
            </button>{' '}
            <span className="muted">hop {pipe.depth}</span>
          </li>
        ))}
      </ol>
      <ul className="downstream-trace__assets" aria-label="Assets fed" data-testid="trace-asset-list">
        {trace.assets.map((asset) => (
          <li key={asset.id} data-asset-id={asset.id} data-code={asset.code}>
            <button
              type="button"
              className="link"
              onClick={() => {
                select(asset.id);
              }}
            >
              {asset.code}
            </button>{' '}
            <span className="muted">{asset.kind.replace('_', ' ')}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
