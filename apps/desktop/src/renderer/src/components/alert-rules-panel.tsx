import type { AlertRule } from '@tidewatch/shared';
import { useState } from 'react';
import { describeError } from '../api/api-error.ts';
import { useAlertRules } from '../alerts/alert-rule-queries.ts';
import { conditionLabels, usesLimit } from '../alerts/rule-draft.ts';
import { useAssetLabels } from '../reference/reference-data.ts';
import { AlertRuleEditor } from './alert-rule-editor.tsx';
import { formatValue } from './format.ts';
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
  }
}

/** The tenant's alarm rules; a new or chosen one opens in the editor, where it can be previewed before saving. */
export function AlertRulesPanel({ tenantId }: { tenantId: string }) {
  const rules = useAlertRules(tenantId);
  const assets = useAssetLabels(tenantId);
  const [editing, setEditing] = useState<Editing>({ kind: 'none' });
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
              <td>{targetText(rule, assets.data)}</td>
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
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
