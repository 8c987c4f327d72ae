import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { AlertRule } from '@tidewatch/shared';
import { useMemo, useState } from 'react';
import { describeError } from '../api/api-error.ts';
import {
  alertRulesKey,
  archiveAlertRule,
  useAlertRules,
  useArchivedAlertRules,
} from '../alerts/alert-rule-queries.ts';
import { conditionLabels, usesLimit } from '../alerts/rule-draft.ts';
import { useAssetLabels } from '../reference/asset-labels.ts';
import { AlertRuleEditor } from './alert-rule-editor.tsx';
import { formatTime, formatValue } from './format.ts';
import { PriorityLabel } from './priority-label.tsx';
import './alert-rules.css';

type Editing =
  { readonly kind: 'none' } | { readonly kind: 'new' } | { readonly kind: 'rule'; readonly rule: AlertRule };

function targetText(rule: AlertRule, assets: ReadonlyMap<string, { code: string }> | undefined): string {
  switch (rule.scope) {
    case 'series':
      return `series #${String(rule.seriesId ?? '')}`;
    case 'asset':
      return `asset ${assets?.get(rule.assetId ?? '')?.code ?? rule.assetId ?? ''}`;
    case 'asset_kind':
      return `every ${(rule.assetKind ?? '').replace('_', ' ')}${rule.zoneId ? ' in a zone' : ''}`;
    case 'zone':
      return 'a district metered area';
    case 'tag':
      return `every asset or device tagged ${rule.tag ?? ''}${rule.zoneId ? ' in a zone' : ''}`;
  }
}

/**
 * The tenant's alarm rules; a new or chosen one opens in the editor, where it can be previewed before saving. A rule
 * is archived rather than deleted once it has raised alerts, so its history keeps its name; archived rules are
 * listed apart, read-only.
 */
export function AlertRulesPanel({ tenantId }: { tenantId: string }) {
  const queryClient = useQueryClient();
  const rules = useAlertRules(tenantId);
  const [editing, setEditing] = useState<Editing>({ kind: 'none' });
  const [showArchived, setShowArchived] = useState(false);
  const archived = useArchivedAlertRules(tenantId, showArchived);
  const assetIds = useMemo(
    () => [...(rules.data ?? []), ...(archived.data ?? [])].map((rule) => rule.assetId),
    [rules.data, archived.data],
  );
  const assets = useAssetLabels(tenantId, assetIds);
  const archive = useMutation({
    mutationFn: (rule: AlertRule) => archiveAlertRule(rule.id),
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: alertRulesKey(tenantId) });
    },
  });
  const close = () => {
    setEditing({ kind: 'none' });
  };
  return (
    <section className="alert-rules" aria-labelledby="alert-rules-heading">
      <div className="alert-rules__header">
        <h3 id="alert-rules-heading" className="detail__subtitle">
          Alarm rules
        </h3>
        <button
          type="button"
          disabled={editing.kind !== 'none'}
          onClick={() => {
            setEditing({ kind: 'new' });
          }}
        >
          New rule
        </button>
      </div>
      {editing.kind !== 'none' ? (
        <AlertRuleEditor
          key={editing.kind === 'rule' ? editing.rule.id : 'new'}
          tenantId={tenantId}
          rule={editing.kind === 'rule' ? editing.rule : null}
          onClose={close}
        />
      ) : null}
      {rules.isError ? <p className="notice notice--error">{describeError(rules.error)}</p> : null}
      {archive.isError ? (
        <p role="alert" className="notice notice--error">
          {describeError(archive.error)}
        </p>
      ) : null}
      <table className="kpi-table" aria-label="Alarm rules">
        <thead>
          <tr>
            <th>Rule</th>
            <th>Condition</th>
            <th>Target</th>
            <th>Limit</th>
            <th>Priority</th>
            <th>State</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(rules.data ?? []).map((rule) => (
            <tr key={rule.id} data-rule-id={rule.id}>
              <td>{rule.name}</td>
              <td>{conditionLabels[rule.condition]}</td>
              <td>{targetText(rule, assets)}</td>
              <td className="cell--number">
                {usesLimit(rule.condition) ? formatValue(rule.setpoint) : ''}
                {rule.deadband > 0 ? ` ± ${formatValue(rule.deadband)}` : ''}
              </td>
              <td>
                <PriorityLabel priority={rule.priority} />
              </td>
              <td>{rule.enabled ? 'enabled' : 'disabled'}</td>
              <td>
                <button
                  type="button"
                  disabled={editing.kind !== 'none'}
                  onClick={() => {
                    setEditing({ kind: 'rule', rule });
                  }}
                >
                  Edit
                </button>{' '}
                <button
                  type="button"
                  disabled={editing.kind !== 'none' || archive.isPending}
                  onClick={() => {
                    if (
                      window.confirm(
                        `Archive the rule "${rule.name}"? It stops evaluating and its open alerts close; ` +
                          'the alerts it raised stay in the history.',
                      )
                    )
                      archive.mutate(rule);
                  }}
                >
                  Archive
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <label className="alert-rules__archived-toggle">
        <input
          type="checkbox"
          checked={showArchived}
          onChange={(event) => {
            setShowArchived(event.target.checked);
          }}
        />{' '}
        Show archived rules
      </label>
      {showArchived ? (
        <table className="kpi-table" aria-label="Archived alarm rules">
          <thead>
            <tr>
              <th>Rule</th>
              <th>Condition</th>
              <th>Target</th>
              <th>Archived</th>
            </tr>
          </thead>
          <tbody>
            {(archived.data ?? []).map((rule) => (
              <tr key={rule.id} data-archived-rule-id={rule.id}>
                <td>{rule.name}</td>
                <td>{conditionLabels[rule.condition]}</td>
                <td>{targetText(rule, assets)}</td>
                <td>{rule.archivedAt ? formatTime(rule.archivedAt) : ''}</td>
              </tr>
            ))}
            {archived.data?.length === 0 ? (
              <tr>
                <td colSpan={4} className="muted">
                  No archived rules.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
