import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useEffect, useRef, type RefObject } from 'react';
import type { AlertRow, AlertSort, SortKey } from '../alerts/alert-rows.ts';
import { useAlertConsoleStore } from '../alerts/alert-console-store.ts';
import { needsAcknowledgement } from '../alerts/alert-rows.ts';
import { formatDateTime, formatValue } from './format.ts';
import { PriorityLabel, StateBadge } from './priority-label.tsx';

export const ROW_HEIGHT = 30;
const BLINK_MS = 500;

/** Blinks every unacknowledged badge in step, without re-rendering: one attribute on the table. */
function useBlink(table: RefObject<HTMLDivElement | null>): void {
  useEffect(() => {
    if (window.matchMedia('(prefers-reduced-motion: reduce)').matches) return;
    const timer = window.setInterval(() => {
      table.current?.toggleAttribute('data-blink-off');
    }, BLINK_MS);
    return () => {
      window.clearInterval(timer);
    };
  }, [table]);
}

const columns: readonly { key: SortKey | null; label: string }[] = [
  { key: null, label: '' },
  { key: 'priority', label: 'Priority' },
  { key: 'state', label: 'State' },
  { key: 'raisedAt', label: 'Raised' },
  { key: 'asset', label: 'Asset' },
  { key: 'zone', label: 'Zone' },
  { key: 'rule', label: 'Alarm' },
  { key: 'value', label: 'Value' },
];

interface RowProps {
  readonly row: AlertRow;
  readonly index: number;
  readonly start: number;
  readonly isCursor: boolean;
  readonly isSelected: boolean;
}

const AlertTableRow = memo(function AlertTableRow({ row, index, start, isCursor, isSelected }: RowProps) {
  const { alert } = row;
  const setCursor = useAlertConsoleStore((state) => state.setCursor);
  const openDetail = useAlertConsoleStore((state) => state.openDetail);
  const toggleSelected = useAlertConsoleStore((state) => state.toggleSelected);
  const classes = [
    'alert-row',
    `alert-row--${alert.priority}`,
    needsAcknowledgement(alert) ? 'alert-row--waiting' : '',
    isCursor ? 'alert-row--cursor' : '',
    isSelected ? 'alert-row--selected' : '',
  ].join(' ');
  return (
    <div
      role="row"
      aria-rowindex={index + 2}
      aria-selected={isSelected}
      data-alert-id={alert.id}
      className={classes}
      style={{ transform: `translateY(${start}px)` }}
      onClick={() => {
        setCursor(alert.id);
        openDetail(alert.id);
      }}
    >
      <span role="gridcell" className="alert-row__check">
        <input
          type="checkbox"
          aria-label="Select alert"
          checked={isSelected}
          onClick={(event) => {
            event.stopPropagation();
          }}
          onChange={() => {
            toggleSelected(alert.id);
          }}
          tabIndex={-1}
        />
      </span>
      <span role="gridcell">
        <PriorityLabel priority={alert.priority} />
      </span>
      <span role="gridcell">
        <StateBadge state={alert.state} />
      </span>
      <span role="gridcell" className="cell--time">
        {formatDateTime(alert.raisedAt)}
      </span>
      <span role="gridcell" className="cell--text" title={row.assetLabel ?? ''}>
        {row.assetLabel ?? '—'}
      </span>
      <span role="gridcell" className="cell--text">
        {row.zoneName ?? '—'}
      </span>
      <span role="gridcell" className="cell--text" title={alert.message}>
        {alert.chatteringSince ? (
          <span className="chatter-badge" title={`Chattering since ${formatDateTime(alert.chatteringSince)}`}>
            Chattering
          </span>
        ) : null}
        <strong>{alert.ruleName}</strong> {alert.message}
      </span>
      <span role="gridcell" className="cell--number">
        {formatValue(alert.lastValue)}
      </span>
    </div>
  );
});

function SortHeader({ sort, onSort }: { sort: AlertSort; onSort: (key: SortKey) => void }) {
  return (
    <div role="row" aria-rowindex={1} className="alert-table__header">
      {columns.map(({ key, label }) => {
        if (key === null) return <span role="columnheader" key="check" aria-label="Selected" />;
        const active = sort.key === key;
        return (
          <span
            role="columnheader"
            key={key}
            aria-sort={active ? (sort.descending ? 'descending' : 'ascending') : 'none'}
          >
            <button
              type="button"
              className="sort-button"
              onClick={() => {
                onSort(key);
              }}
            >
              {label}
              <span aria-hidden="true">{active ? (sort.descending ? ' ▾' : ' ▴') : ''}</span>
            </button>
          </span>
        );
      })}
    </div>
  );
}

/**
 * The alert list, virtualized: only the rows in view (and a few beyond) exist in the DOM, so ten thousand
 * alerts scroll as smoothly as ten.
 */
export function AlertTable({ rows, loading }: { rows: readonly AlertRow[]; loading: boolean }) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const tableRef = useRef<HTMLDivElement>(null);
  useBlink(tableRef);
  const sort = useAlertConsoleStore((state) => state.sort);
  const sortBy = useAlertConsoleStore((state) => state.sortBy);
  const cursorId = useAlertConsoleStore((state) => state.cursorId);
  const selectedIds = useAlertConsoleStore((state) => state.selectedIds);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    // Rows have one fixed height, so the default (index) keys keep the virtualizer from re-measuring ten
    // thousand items whenever the rows change; the rendered rows are keyed by alert id below.
    overscan: 12,
  });

  // Follow the cursor when it moves, not when live changes reorder the rows under an operator who scrolls.
  const followedCursor = useRef<string | null>(null);
  useEffect(() => {
    if (cursorId === null || cursorId === followedCursor.current) return;
    const index = rows.findIndex((row) => row.alert.id === cursorId);
    if (index < 0) return;
    followedCursor.current = cursorId;
    virtualizer.scrollToIndex(index, { align: 'auto' });
  }, [cursorId, rows, virtualizer]);

  return (
    <div
      ref={tableRef}
      className="alert-table"
      role="grid"
      aria-rowcount={rows.length + 1}
      aria-label="Alerts"
    >
      <SortHeader sort={sort} onSort={sortBy} />
      <div ref={scrollRef} className="alert-table__body" data-testid="alert-table-body">
        {rows.length === 0 ? (
          <p className="alert-table__empty">{loading ? 'Loading alerts…' : 'No alerts match.'}</p>
        ) : null}
        <div style={{ height: `${virtualizer.getTotalSize()}px` }} className="alert-table__canvas">
          {virtualizer.getVirtualItems().map((item) => {
            const row = rows[item.index];
            if (!row) return null;
            return (
              <AlertTableRow
                key={row.alert.id}
                row={row}
                index={item.index}
                start={item.start}
                isCursor={row.alert.id === cursorId}
                isSelected={selectedIds.has(row.alert.id)}
              />
            );
          })}
        </div>
      </div>
    </div>
  );
}
