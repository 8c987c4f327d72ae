import type { DmaLeagueRow } from '@tidewatch/shared';
import { useState } from 'react';
import { describeError } from '../api/api-error.ts';
import { useDmaLeague, useDmaNights } from './dma-queries.ts';

const litres = (value: number | null): string => (value === null ? '–' : `${value.toFixed(0)} L/h`);
const perConnection = (value: number | null): string => (value === null ? '–' : `${value.toFixed(2)} L/h`);
const signed = (value: number | null): string =>
  value === null ? '–' : `${value > 0 ? '+' : ''}${value.toFixed(0)} L/h`;

function LeagueTable({
  rows,
  selected,
  onSelect,
}: {
  rows: readonly DmaLeagueRow[];
  selected: string | null;
  onSelect: (zoneId: string) => void;
}) {
  return (
    <table className="dma-league" aria-label="DMA league table">
      <thead>
        <tr>
          <th>Rank</th>
          <th>DMA</th>
          <th>Connections</th>
          <th>Night</th>
          <th>Min night flow</th>
          <th>Leakage</th>
          <th>Per connection</th>
          <th>Change</th>
          <th>Rank by change</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr
            key={row.zoneId}
            data-zone-id={row.zoneId}
            aria-selected={row.zoneId === selected}
            onClick={() => {
              onSelect(row.zoneId);
            }}
          >
            <td>{row.rankByLeakage ?? '–'}</td>
            <td>
              <button type="button" className="link-button">
                {row.code} {row.name}
              </button>
            </td>
            <td>{row.connections}</td>
            <td>{row.date ?? '–'}</td>
            <td>{litres(row.minNightFlowLph)}</td>
            <td>{litres(row.leakageLph)}</td>
            <td>{perConnection(row.leakagePerConnectionLph)}</td>
            <td>{signed(row.changeLph)}</td>
            <td>{row.rankByChange ?? '–'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function DmaNightsPanel({ tenantId, zoneId }: { tenantId: string; zoneId: string }) {
  const nights = useDmaNights(tenantId, zoneId);
  if (nights.isError) return <p role="alert">{describeError(nights.error)}</p>;
  if (!nights.data) return <p>Loading nights…</p>;
  const trend = nights.data.leakageTrendLphPerDay;
  return (
    <section aria-label="Nights of the DMA" className="dma-nights">
      <h3>
        Last nights ({nights.data.timeZone}) · leakage trend{' '}
        <span data-testid="dma-trend">{trend === null ? '–' : `${signed(trend)} per day`}</span>
      </h3>
      <table aria-label="DMA nights">
        <thead>
          <tr>
            <th>Night of</th>
            <th>Min night flow</th>
            <th>Legitimate use</th>
            <th>Leakage</th>
            <th>Per connection</th>
          </tr>
        </thead>
        <tbody>
          {[...nights.data.nights].reverse().map((night) => (
            <tr key={night.date}>
              <td>{night.date}</td>
              <td>{night.complete ? litres(night.minNightFlowLph) : 'incomplete'}</td>
              <td>{litres(night.legitimateNightUseLph)}</td>
              <td>{litres(night.leakageLph)}</td>
              <td>{perConnection(night.leakagePerConnectionLph)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** District metered areas: the leakage league table and, for the one chosen, its recent nights. */
export function DmaView({ tenantId }: { tenantId: string }) {
  const league = useDmaLeague(tenantId);
  const [selected, setSelected] = useState<string | null>(null);
  if (league.isError) return <p role="alert">{describeError(league.error)}</p>;
  if (!league.data) return <p>Loading DMAs…</p>;
  const zoneId = selected ?? league.data.rows[0]?.zoneId ?? null;
  return (
    <main className="dma-view" aria-label="District metered areas">
      <h2>District metered areas</h2>
      {league.data.rows.length === 0 ? (
        <p>No zone is metered as a DMA yet.</p>
      ) : (
        <LeagueTable rows={league.data.rows} selected={zoneId} onSelect={setSelected} />
      )}
      {zoneId ? <DmaNightsPanel tenantId={tenantId} zoneId={zoneId} /> : null}
    </main>
  );
}
