import { can, type Alert, type Role } from '@tidewatch/shared';
import { useDeferredValue, useMemo } from 'react';
import { useAlertConsoleStore } from '../alerts/alert-console-store.ts';
import {
  filterRows,
  needsAcknowledgement,
  rowBuilder,
  sortRows,
  type AssetLabel,
} from '../alerts/alert-rows.ts';
import { useAlertShortcuts } from '../alerts/use-alert-shortcuts.ts';
import { AcknowledgeDialog, CommentDialog, OpenIncidentDialog, ShelveDialog } from './alert-dialogs.tsx';
import { AlertDetailPanel } from './alert-detail-panel.tsx';
import { AlertFilterBar } from './alert-filter-bar.tsx';
import { AlertTable } from './alert-table.tsx';
import { FloodGroupsPanel } from './flood-groups-panel.tsx';

const noAssets: ReadonlyMap<string, AssetLabel> = new Map();
const noZones: ReadonlyMap<string, string> = new Map();

export function AlertConsole({
  alerts,
  loading,
  assets = noAssets,
  zones = noZones,
  role,
  tenantId,
}: {
  alerts: readonly Alert[];
  loading: boolean;
  assets?: ReadonlyMap<string, AssetLabel> | undefined;
  zones?: ReadonlyMap<string, string> | undefined;
  role: Role;
  tenantId: string;
}) {
  const filter = useAlertConsoleStore((state) => state.filter);
  const sort = useAlertConsoleStore((state) => state.sort);
  const detailId = useAlertConsoleStore((state) => state.detailId);
  const dialog = useAlertConsoleStore((state) => state.dialog);
  const selectedIds = useAlertConsoleStore((state) => state.selectedIds);
  const openDialog = useAlertConsoleStore((state) => state.openDialog);
  const clearSelection = useAlertConsoleStore((state) => state.clearSelection);
  // Typing in the search box stays responsive while ten thousand rows are filtered behind it.
  const deferredFilter = useDeferredValue(filter);

  // Rows are rebuilt only for alerts the socket replaced; names change rarely and start a fresh builder.
  const buildRows = useMemo(() => rowBuilder(assets, zones), [assets, zones]);
  const allRows = useMemo(() => buildRows(alerts), [buildRows, alerts]);
  const rows = useMemo(
    () => sortRows(filterRows(allRows, deferredFilter), sort),
    [allRows, deferredFilter, sort],
  );
  useAlertShortcuts(rows, role);

  const waitingSelected = allRows.filter(
    (row) => selectedIds.has(row.alert.id) && needsAcknowledgement(row.alert),
  );
  const detailRow = detailId ? allRows.find((row) => row.alert.id === detailId) : undefined;

  return (
    <section className="alert-console" aria-label="Alert console">
      <AlertFilterBar zones={zones} assets={assets} shown={rows.length} total={alerts.length} />
      {selectedIds.size > 0 ? (
        <div className="selection-bar">
          <span>{selectedIds.size} selected</span>
          {can(role, 'alert:acknowledge') ? (
            <button
              type="button"
              className="button button--primary"
              disabled={waitingSelected.length === 0}
              onClick={() => {
                openDialog({ kind: 'acknowledge', ids: waitingSelected.map((row) => row.alert.id) });
              }}
            >
              Acknowledge {waitingSelected.length} (a)
            </button>
          ) : null}
          {can(role, 'incident:create') ? (
            <button
              type="button"
              className="button"
              onClick={() => {
                openDialog({ kind: 'open-incident', ids: [...selectedIds] });
              }}
            >
              Open incident (i)
            </button>
          ) : null}
          <button type="button" className="button" onClick={clearSelection}>
            Clear selection (Esc)
          </button>
        </div>
      ) : null}
      <FloodGroupsPanel tenantId={tenantId} rows={allRows} />
      <div className="alert-console__body">
        <AlertTable rows={rows} loading={loading} />
        {detailId ? <AlertDetailPanel key={detailId} id={detailId} row={detailRow} role={role} /> : null}
      </div>
      <p className="shortcut-hint">
        <kbd>j</kbd>/<kbd>k</kbd> move · <kbd>space</kbd> select · <kbd>Enter</kbd> details
        {can(role, 'alert:acknowledge') ? (
          <>
            {' '}
            · <kbd>a</kbd> acknowledge
          </>
        ) : null}
        {can(role, 'alert:shelve') ? (
          <>
            {' '}
            · <kbd>s</kbd> shelve
          </>
        ) : null}
        {can(role, 'alert:comment') ? (
          <>
            {' '}
            · <kbd>c</kbd> comment
          </>
        ) : null}
        {can(role, 'incident:create') ? (
          <>
            {' '}
            · <kbd>i</kbd> incident
          </>
        ) : null}{' '}
        · <kbd>/</kbd> search · <kbd>Esc</kbd> clear
      </p>
      {dialog.kind === 'acknowledge' ? <AcknowledgeDialog ids={dialog.ids} /> : null}
      {dialog.kind === 'shelve' ? <ShelveDialog id={dialog.id} role={role} /> : null}
      {dialog.kind === 'comment' || dialog.kind === 'out-of-service' ? (
        <CommentDialog id={dialog.id} purpose={dialog.kind} />
      ) : null}
      {dialog.kind === 'open-incident' ? (
        <OpenIncidentDialog
          tenantId={tenantId}
          alerts={allRows.filter((row) => dialog.ids.includes(row.alert.id)).map((row) => row.alert)}
        />
      ) : null}
    </section>
  );
}
