import { useMutation, useQueryClient } from '@tanstack/react-query';
import {
  ALERT_RULE_PREVIEW_DAYS,
  alertConditions,
  alertPriorities,
  alertTargetScopes,
  assetKinds,
  type AlertRule,
  type AlertRulePreview,
} from '@tidewatch/shared';
import { useId, useState, type ChangeEvent, type ReactNode } from 'react';
import { useDevices } from '../admin/admin-queries.ts';
import { ProblemNotice } from '../admin/problem-notice.tsx';
import {
  alertRulesKey,
  createAlertRule,
  previewAlertRule,
  updateAlertRule,
  useMetrics,
  type RuleInput,
} from '../alerts/alert-rule-queries.ts';
import {
  canPreview,
  conditionLabels,
  draftOf,
  draftProblem,
  emptyDraft,
  ruleChange,
  ruleInput,
  scopeLabels,
  usesDelays,
  usesLimit,
  usesWindow,
  type RateDirection,
  type RuleDraft,
} from '../alerts/rule-draft.ts';
import { useZoneNames } from '../reference/reference-data.ts';
import { AssetPicker } from './asset-picker.tsx';
import { AlertRulePreviewResult } from './alert-rule-preview.tsx';

/** The form's labels for the fields a problem+json names. */
const fieldLabels = {
  name: 'Rule name',
  condition: 'Condition',
  scope: 'Target',
  seriesId: 'Series',
  assetId: 'Asset',
  assetKind: 'Asset kind',
  tag: 'Tag',
  zoneId: 'Zone',
  metricId: 'Metric',
  setpoint: 'Limit',
  deadband: 'Deadband',
  onDelayS: 'On-delay',
  offDelayS: 'Off-delay',
  windowS: 'Window',
  cooldownS: 'Cooldown',
  params: 'Direction',
};

const directions: readonly RateDirection[] = ['both', 'rise', 'fall'];
const cycles: readonly ('none' | 'week')[] = ['week', 'none'];

/** A labelled control: the label names the control alone (a wrapping label would add a select's options). */
function Field({ label, children }: { label: string; children: (id: string) => ReactNode }) {
  const id = useId();
  return (
    <div className="rule-editor__field">
      <label htmlFor={id}>{label}</label>
      {children(id)}
    </div>
  );
}

/** Picks an option by its value; a value not offered (a stale list) changes nothing. */
const pick =
  <T extends string>(options: readonly T[], apply: (value: T) => void) =>
  (event: ChangeEvent<HTMLSelectElement>) => {
    const chosen = options.find((option) => option === event.target.value);
    if (chosen !== undefined) apply(chosen);
  };

/** A number input; the draft keeps its text, so a half-typed value is not lost. */
function NumberField({
  label,
  value,
  onChange,
  min,
  step = 'any',
}: {
  label: string;
  value: string;
  onChange: (event: ChangeEvent<HTMLInputElement>) => void;
  min?: number;
  step?: number | 'any';
}) {
  return (
    <Field label={label}>
      {(id) => <input id={id} type="number" min={min} step={step} value={value} onChange={onChange} />}
    </Field>
  );
}

/** A select over a fixed list of values, each shown by `labelOf`. */
function ChoiceField<T extends string>({
  label,
  options,
  value,
  labelOf,
  disabled = false,
  onChange,
}: {
  label: string;
  options: readonly T[];
  value: T;
  labelOf: (option: T) => string;
  disabled?: boolean;
  onChange: (option: T) => void;
}) {
  return (
    <Field label={label}>
      {(id) => (
        <select id={id} value={value} disabled={disabled} onChange={pick(options, onChange)}>
          {options.map((option) => (
            <option key={option} value={option}>
              {labelOf(option)}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

/**
 * Creates or changes an alert rule, and previews it first: how often it would have raised on the last days of
 * its targets' readings. A saved rule keeps its condition and target; everything else may change.
 */
export function AlertRuleEditor({
  tenantId,
  rule,
  onClose,
}: {
  tenantId: string;
  rule: AlertRule | null;
  onClose: () => void;
}) {
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<RuleDraft>(rule ? draftOf(rule) : emptyDraft);
  const [previewed, setPreviewed] = useState<{ body: string; result: AlertRulePreview } | null>(null);
  const devices = useDevices(tenantId);
  const zones = useZoneNames(tenantId);
  const metrics = useMetrics(tenantId);
  const input = ruleInput(draft);
  const problem = draftProblem(draft);
  const fixed = rule !== null;

  const preview = useMutation({
    mutationFn: (body: RuleInput) => previewAlertRule(body),
    onSuccess: (result, body) => {
      setPreviewed({ body: JSON.stringify(body), result });
    },
  });
  const save = useMutation({
    mutationFn: () => (rule ? updateAlertRule(rule.id, ruleChange(draft)) : createAlertRule(input)),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: alertRulesKey(tenantId) });
      onClose();
    },
  });
  const change = (next: Partial<RuleDraft>) => {
    setDraft((current) => ({ ...current, ...next }));
  };
  const typed = (key: keyof RuleDraft) => (event: ChangeEvent<HTMLInputElement | HTMLSelectElement>) => {
    change({ [key]: event.target.value });
  };
  const seriesOptions = (devices.data ?? []).filter((device) => device.series.length > 0);

  return (
    <form
      className="rule-editor"
      aria-label={rule ? `Edit rule ${rule.name}` : 'New rule'}
      onSubmit={(event) => {
        event.preventDefault();
        save.mutate();
      }}
    >
      <h3 className="detail__subtitle">{rule ? `Edit “${rule.name}”` : 'New rule'}</h3>
      <div className="rule-editor__fields">
        <Field label="Rule name">
          {(id) => <input id={id} value={draft.name} required maxLength={200} onChange={typed('name')} />}
        </Field>
        <ChoiceField
          label="Condition"
          options={alertConditions}
          value={draft.condition}
          labelOf={(condition) => conditionLabels[condition]}
          disabled={fixed}
          onChange={(condition) => {
            change({ condition });
          }}
        />
        <ChoiceField
          label="Priority"
          options={alertPriorities}
          value={draft.priority}
          labelOf={(priority) => priority}
          onChange={(priority) => {
            change({ priority });
          }}
        />
        <ChoiceField
          label="Target"
          options={alertTargetScopes}
          value={draft.scope}
          labelOf={(scope) => scopeLabels[scope]}
          disabled={fixed}
          onChange={(scope) => {
            change({ scope });
          }}
        />
        {draft.scope === 'series' ? (
          <Field label="Series">
            {(id) => (
              <select id={id} value={draft.seriesId} disabled={fixed} onChange={typed('seriesId')}>
                <option value="">Choose a series…</option>
                {draft.seriesId !== '' &&
                !seriesOptions.some((device) =>
                  device.series.some((s) => String(s.id) === draft.seriesId),
                ) ? (
                  <option value={draft.seriesId}>Series #{draft.seriesId}</option>
                ) : null}
                {seriesOptions.map((device) => (
                  <optgroup key={device.id} label={device.name}>
                    {device.series.map((series) => (
                      <option key={series.id} value={String(series.id)}>
                        {device.name} · {series.metricKey} (#{series.id})
                      </option>
                    ))}
                  </optgroup>
                ))}
              </select>
            )}
          </Field>
        ) : null}
        {draft.scope === 'asset' ? (
          <Field label="Asset">
            {(id) => (
              <AssetPicker
                id={id}
                tenantId={tenantId}
                value={draft.assetId}
                disabled={fixed}
                onChange={(assetId) => {
                  change({ assetId });
                }}
              />
            )}
          </Field>
        ) : null}
        {draft.scope === 'tag' ? (
          <>
            <Field label="Tag">
              {(id) => (
                <input
                  id={id}
                  value={draft.tag}
                  disabled={fixed}
                  placeholder="criticality or criticality:high"
                  onChange={typed('tag')}
                />
              )}
            </Field>
            <Field label="Zone">
              {(id) => (
                <select id={id} value={draft.zoneId} disabled={fixed} onChange={typed('zoneId')}>
                  <option value="">All zones</option>
                  {[...(zones.data ?? new Map<string, string>())].map(([id, name]) => (
                    <option key={id} value={id}>
                      {name}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          </>
        ) : null}
        {draft.scope === 'asset_kind' ? (
          <>
            <Field label="Asset kind">
              {(id) => (
                <select
                  id={id}
                  value={draft.assetKind}
                  disabled={fixed}
                  onChange={pick(['', ...assetKinds] as const, (assetKind) => {
                    change({ assetKind });
                  })}
                >
                  <option value="">Choose a kind…</option>
                  {assetKinds.map((kind) => (
                    <option key={kind} value={kind}>
                      {kind.replace('_', ' ')}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field label="Zone">
              {(id) => (
                <select id={id} value={draft.zoneId} disabled={fixed} onChange={typed('zoneId')}>
                  <option value="">All zones</option>
                  {[...(zones.data ?? new Map<string, string>())].map(([id, name]) => (
                    <option key={id} value={id}>
                      {name}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          </>
        ) : null}
        {draft.scope !== 'series' ? (
          <Field label="Metric">
            {(id) => (
              <select id={id} value={draft.metricId} disabled={fixed} onChange={typed('metricId')}>
                <option value="">
                  {usesDelays(draft.condition) ? 'Choose a metric…' : 'Any (the whole device)'}
                </option>
                {(metrics.data ?? []).map((metric) => (
                  <option key={metric.id} value={metric.id}>
                    {metric.name} ({metric.key})
                  </option>
                ))}
              </select>
            )}
          </Field>
        ) : null}
        {usesLimit(draft.condition) ? (
          <>
            <NumberField
              label={draft.condition === 'rate_of_change' ? 'Limit (change in the window)' : 'Limit'}
              value={draft.setpoint}
              onChange={typed('setpoint')}
              step="any"
            />
            <NumberField
              label="Deadband"
              value={draft.deadband}
              onChange={typed('deadband')}
              min={0}
              step="any"
            />
          </>
        ) : null}
        {draft.condition === 'rate_of_change' ? (
          <ChoiceField
            label="Direction"
            options={directions}
            value={draft.direction}
            labelOf={(direction) => direction}
            onChange={(direction) => {
              change({ direction });
            }}
          />
        ) : null}
        {draft.condition === 'anomaly' ? (
          <ChoiceField
            label="Baseline"
            options={cycles}
            value={draft.cycle}
            labelOf={(cycle) =>
              cycle === 'week' ? 'Per hour of the week (demand cycle)' : 'One for all hours'
            }
            onChange={(cycle) => {
              change({ cycle });
            }}
          />
        ) : null}
        {draft.condition === 'pump_starts' ? (
          <NumberField
            label="Running above (0.5 for a run-state; a flow or power otherwise)"
            value={draft.runningAbove}
            onChange={typed('runningAbove')}
            step="any"
          />
        ) : null}
        {draft.condition === 'forecast' ? (
          <>
            <NumberField label="Full level" value={draft.fullLevel} onChange={typed('fullLevel')} />
            <NumberField label="Empty level" value={draft.emptyLevel} onChange={typed('emptyLevel')} />
            <NumberField
              label="Horizon (s)"
              value={draft.horizonS}
              onChange={typed('horizonS')}
              min={60}
              step={1}
            />
          </>
        ) : null}
        {draft.scope === 'zone' ? (
          <Field label="District metered area">
            {(id) => (
              <select id={id} value={draft.zoneId} disabled={fixed} onChange={typed('zoneId')}>
                <option value="">Choose a zone…</option>
                {[...(zones.data ?? new Map<string, string>())].map(([id, name]) => (
                  <option key={id} value={id}>
                    {name}
                  </option>
                ))}
              </select>
            )}
          </Field>
        ) : null}
        {usesWindow(draft.condition) ? (
          <NumberField
            label="Window (s)"
            value={draft.windowS}
            onChange={typed('windowS')}
            min={1}
            step={1}
          />
        ) : null}
        {usesDelays(draft.condition) ? (
          <>
            <NumberField
              label="On-delay (s)"
              value={draft.onDelayS}
              onChange={typed('onDelayS')}
              min={0}
              step={1}
            />
            <NumberField
              label="Off-delay (s)"
              value={draft.offDelayS}
              onChange={typed('offDelayS')}
              min={0}
              step={1}
            />
          </>
        ) : null}
        <NumberField
          label="Cooldown (s)"
          value={draft.cooldownS}
          onChange={typed('cooldownS')}
          min={0}
          step={1}
        />
        <label className="rule-editor__check">
          <input
            type="checkbox"
            checked={draft.enabled}
            onChange={(event) => {
              change({ enabled: event.target.checked });
            }}
          />{' '}
          Enabled
        </label>
      </div>
      {problem ? <p className="detail__muted">To complete: {problem}</p> : null}
      <div className="rule-editor__actions">
        <button
          type="button"
          disabled={problem !== null || !canPreview(draft.condition) || preview.isPending}
          title={
            canPreview(draft.condition) ? undefined : 'A preview replays readings: not for silence rules'
          }
          onClick={() => {
            preview.mutate(input);
          }}
        >
          {preview.isPending ? 'Previewing…' : `Preview last ${String(ALERT_RULE_PREVIEW_DAYS)} days`}
        </button>
        <button type="submit" disabled={problem !== null || save.isPending}>
          {rule ? 'Save rule' : 'Create rule'}
        </button>
        <button type="button" onClick={onClose}>
          Cancel
        </button>
      </div>
      {preview.isError ? (
        <ProblemNotice error={preview.error} fieldLabels={fieldLabels} testId="rule-preview-problem" />
      ) : null}
      {save.isError ? <ProblemNotice error={save.error} fieldLabels={fieldLabels} /> : null}
      {previewed && !preview.isError ? (
        <AlertRulePreviewResult preview={previewed.result} stale={previewed.body !== JSON.stringify(input)} />
      ) : null}
    </form>
  );
}
