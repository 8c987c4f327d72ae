import { useMutation, useQueryClient } from '@tanstack/react-query';
import {
  putThingSpeakBindingSchema,
  thingSpeakPreviewRequestSchema,
  type Device,
  type ThingSpeakBinding,
  type ThingSpeakPreview,
  type ThingSpeakValueRejection,
} from '@tidewatch/shared';
import { useState } from 'react';
import { useMetrics } from '../alerts/alert-rule-queries.ts';
import { formatDateTime } from '../components/format.ts';
import { ProblemNotice } from './problem-notice.tsx';
import './thingspeak.css';
import {
  previewThingSpeakChannel,
  saveThingSpeakBinding,
  thingSpeakBindingKey,
  useThingSpeakBinding,
  type BindingInput,
  type ChannelPreviewInput,
} from './thingspeak-queries.ts';

interface MappingRow {
  readonly field: string;
  readonly metricKey: string;
  readonly scale: string;
  readonly offset: string;
}

interface BindingDraft {
  readonly channelId: string;
  readonly readApiKey: string;
  /** Remove the stored key on save (the channel became public). */
  readonly removeReadKey: boolean;
  readonly pollIntervalS: string;
  readonly enabled: boolean;
  readonly rows: readonly MappingRow[];
}

const FIELD_NUMBERS = ['1', '2', '3', '4', '5', '6', '7', '8'] as const;

/** Enough digits to check a scale against what the device sends. */
const valueFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 6 });
const formatValue = (value: number | null): string => (value === null ? '—' : valueFormat.format(value));

const fieldLabels = {
  channelId: 'Channel',
  readApiKey: 'Read key',
  fields: 'Fields',
  pollIntervalS: 'Poll every',
};

const rejectionLabels: Readonly<Record<ThingSpeakValueRejection, string>> = {
  missing: 'empty',
  not_a_number: 'not a number',
  out_of_range: 'out of range',
  overflow: 'too large to store',
  underflow: 'too small to store',
  too_old: 'too old',
  too_far_in_future: 'in the future',
  unknown_metric: 'unknown metric',
};

function draftOf(binding: ThingSpeakBinding | null): BindingDraft {
  return {
    channelId: binding ? String(binding.channelId) : '',
    readApiKey: '',
    removeReadKey: false,
    pollIntervalS: String(binding?.pollIntervalS ?? 60),
    enabled: binding?.enabled ?? true,
    rows: binding
      ? binding.fields.map((f) => ({
          field: String(f.field),
          metricKey: f.metricKey,
          scale: String(f.scale),
          offset: String(f.offset),
        }))
      : [{ field: '1', metricKey: 'level_cm', scale: '1', offset: '0' }],
  };
}

const fieldsOf = (rows: readonly MappingRow[]) =>
  rows.map((row) => ({
    field: Number(row.field),
    metricKey: row.metricKey,
    scale: row.scale.trim() === '' ? 1 : Number(row.scale),
    offset: row.offset.trim() === '' ? 0 : Number(row.offset),
  }));

/** An empty key asks the server to use the stored one (for the stored channel); saving needs it typed again. */
function previewRequest(draft: BindingDraft): ChannelPreviewInput {
  return {
    channelId: Number(draft.channelId),
    ...(draft.readApiKey === '' ? {} : { readApiKey: draft.readApiKey }),
    fields: fieldsOf(draft.rows),
    results: 10,
  };
}

function bindingInput(draft: BindingDraft): BindingInput {
  return {
    channelId: Number(draft.channelId),
    // Left empty, the server keeps the stored key (the key is never shown back).
    ...(draft.removeReadKey
      ? { readApiKey: null }
      : draft.readApiKey === ''
        ? {}
        : { readApiKey: draft.readApiKey }),
    pollIntervalS: Number(draft.pollIntervalS),
    enabled: draft.enabled,
    fields: fieldsOf(draft.rows),
  };
}

/** The first thing the shared schema finds wrong, in its words, or null. */
function firstIssue(result: {
  success: boolean;
  error?: { issues: { path: PropertyKey[]; message: string }[] };
}) {
  if (result.success) return null;
  const issue = result.error?.issues[0];
  return issue ? `${issue.path.map(String).join('.') || 'binding'}: ${issue.message}` : 'not complete';
}

/** What the last read of the channel would store: raw fields, mapped values, and what ingest would refuse. */
function ChannelPreviewTable({ preview }: { preview: ThingSpeakPreview }) {
  const mappings = preview.entries[0]?.values ?? [];
  if (preview.entries.length === 0)
    return <p className="admin__muted">Channel {preview.channelId} has no entries yet.</p>;
  return (
    <table
      className="admin__table thingspeak__preview"
      aria-label="Channel preview"
      data-testid="thingspeak-preview"
    >
      <thead>
        <tr>
          <th>Entry</th>
          <th>Time</th>
          {mappings.map((value) => (
            <th key={value.field}>
              field{value.field} → {value.metricKey}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {preview.entries.map((entry) => (
          <tr key={entry.entryId} data-entry-id={entry.entryId}>
            <td>{entry.entryId}</td>
            <td>{formatDateTime(entry.createdAt)}</td>
            {entry.values.map((value) => (
              <td key={value.field} data-rejected={value.rejected ?? undefined}>
                <span className="admin__muted">{value.raw ?? '∅'}</span> →{' '}
                {value.rejected ? (
                  <span className="thingspeak__rejected">
                    {value.mapped === null ? '' : `${formatValue(value.mapped)} `}(
                    {rejectionLabels[value.rejected]})
                  </span>
                ) : (
                  <strong>{formatValue(value.stored)}</strong>
                )}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
      {preview.malformedEntries > 0 ? (
        <caption className="admin__muted">
          {preview.malformedEntries} entries without an id or time left out
        </caption>
      ) : null}
    </table>
  );
}

function BindingForm({
  device,
  binding,
  tenantId,
  onClose,
}: {
  device: Device;
  binding: ThingSpeakBinding | null;
  tenantId: string;
  onClose: () => void;
}) {
  const queryClient = useQueryClient();
  const metrics = useMetrics(tenantId);
  const [draft, setDraft] = useState<BindingDraft>(() => draftOf(binding));
  const [previewed, setPreviewed] = useState<{ body: string; result: ThingSpeakPreview } | null>(null);
  const request = previewRequest(draft);
  const previewIssue = firstIssue(thingSpeakPreviewRequestSchema.safeParse(request));
  const saveIssue = firstIssue(putThingSpeakBindingSchema.safeParse(bindingInput(draft)));
  const preview = useMutation({
    mutationFn: (body: ChannelPreviewInput) => previewThingSpeakChannel(device.id, body),
    onSuccess: (result, body) => {
      setPreviewed({ body: JSON.stringify(body), result });
    },
  });
  const save = useMutation({
    mutationFn: () => saveThingSpeakBinding(device.id, bindingInput(draft)),
    onSuccess: (saved) => {
      queryClient.setQueryData(thingSpeakBindingKey(device.id), saved);
      onClose();
    },
  });
  const change = (next: Partial<BindingDraft>) => {
    setDraft((current) => ({ ...current, ...next }));
  };
  const changeRow = (index: number, next: Partial<MappingRow>) => {
    change({ rows: draft.rows.map((row, i) => (i === index ? { ...row, ...next } : row)) });
  };
  const freeField = FIELD_NUMBERS.find((n) => !draft.rows.some((row) => row.field === n));

  return (
    <form
      className="admin__dialog-form thingspeak"
      aria-label={`ThingSpeak binding of ${device.name}`}
      onSubmit={(event) => {
        event.preventDefault();
        save.mutate();
      }}
    >
      <h3>ThingSpeak binding of {device.name}</h3>
      {binding?.lastError ? <p className="admin__muted">Last poll: {binding.lastError}</p> : null}
      <div className="admin__form">
        <label>
          Channel{' '}
          <input
            inputMode="numeric"
            value={draft.channelId}
            onChange={(e) => {
              change({ channelId: e.target.value.trim() });
            }}
          />
        </label>
        <label>
          Read key{' '}
          <input
            value={draft.readApiKey}
            maxLength={16}
            autoComplete="off"
            placeholder={binding?.hasReadKey ? 'stored (type it to change)' : 'public channel'}
            onChange={(e) => {
              change({ readApiKey: e.target.value.trim().toUpperCase() });
            }}
          />
        </label>
        {binding?.hasReadKey ? (
          <label>
            <input
              type="checkbox"
              checked={draft.removeReadKey}
              onChange={(e) => {
                change({ removeReadKey: e.target.checked, readApiKey: '' });
              }}
            />{' '}
            Remove the stored key
          </label>
        ) : null}
        <label>
          Poll every (s){' '}
          <input
            type="number"
            min={15}
            value={draft.pollIntervalS}
            onChange={(e) => {
              change({ pollIntervalS: e.target.value });
            }}
          />
        </label>
        <label>
          <input
            type="checkbox"
            checked={draft.enabled}
            onChange={(e) => {
              change({ enabled: e.target.checked });
            }}
          />{' '}
          Polling on
        </label>
      </div>
      <table className="admin__table" aria-label="Field mapping">
        <thead>
          <tr>
            <th>Field</th>
            <th>Metric</th>
            <th>Scale</th>
            <th>Offset</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {draft.rows.map((row, index) => (
            <tr key={index}>
              <td>
                <select
                  aria-label={`Field of mapping ${String(index + 1)}`}
                  value={row.field}
                  onChange={(e) => {
                    changeRow(index, { field: e.target.value });
                  }}
                >
                  {FIELD_NUMBERS.map((n) => (
                    <option key={n} value={n}>
                      field{n}
                    </option>
                  ))}
                </select>
              </td>
              <td>
                <select
                  aria-label={`Metric of mapping ${String(index + 1)}`}
                  value={row.metricKey}
                  onChange={(e) => {
                    changeRow(index, { metricKey: e.target.value });
                  }}
                >
                  {(metrics.data ?? []).some((m) => m.key === row.metricKey) ? null : (
                    <option value={row.metricKey}>{row.metricKey}</option>
                  )}
                  {(metrics.data ?? []).map((metric) => (
                    <option key={metric.id} value={metric.key}>
                      {metric.key} ({metric.unit || metric.name})
                    </option>
                  ))}
                </select>
              </td>
              <td>
                <input
                  aria-label={`Scale of mapping ${String(index + 1)}`}
                  type="number"
                  step="any"
                  value={row.scale}
                  onChange={(e) => {
                    changeRow(index, { scale: e.target.value });
                  }}
                />
              </td>
              <td>
                <input
                  aria-label={`Offset of mapping ${String(index + 1)}`}
                  type="number"
                  step="any"
                  value={row.offset}
                  onChange={(e) => {
                    changeRow(index, { offset: e.target.value });
                  }}
                />
              </td>
              <td>
                <button
                  type="button"
                  disabled={draft.rows.length === 1}
                  onClick={() => {
                    change({ rows: draft.rows.filter((_, i) => i !== index) });
                  }}
                >
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="admin__form">
        <button
          type="button"
          disabled={freeField === undefined}
          onClick={() => {
            if (freeField)
              change({ rows: [...draft.rows, { field: freeField, metricKey: '', scale: '1', offset: '0' }] });
          }}
        >
          Add field
        </button>
        <button
          type="button"
          disabled={previewIssue !== null || preview.isPending}
          onClick={() => {
            preview.mutate(request);
          }}
        >
          {preview.isPending ? 'Reading the channel…' : 'Preview'}
        </button>
        <button type="submit" disabled={saveIssue !== null || save.isPending}>
          Save binding
        </button>
        <button type="button" onClick={onClose}>
          Close
        </button>
        {(previewIssue ?? saveIssue) ? (
          <span className="admin__muted">To complete: {previewIssue ?? saveIssue}</span>
        ) : null}
      </div>
      {binding?.hasReadKey && draft.readApiKey === '' && !draft.removeReadKey ? (
        <p className="admin__muted">
          The preview and saving keep the stored read key while this field is empty.
        </p>
      ) : null}
      {preview.isError ? (
        <ProblemNotice error={preview.error} fieldLabels={fieldLabels} testId="thingspeak-preview-problem" />
      ) : null}
      {save.isError ? <ProblemNotice error={save.error} fieldLabels={fieldLabels} /> : null}
      {previewed && !preview.isError ? (
        <div className={previewed.body === JSON.stringify(request) ? '' : 'thingspeak__stale'}>
          <ChannelPreviewTable preview={previewed.result} />
        </div>
      ) : null}
    </form>
  );
}

/** A ThingSpeak device's channel and field mapping, tried against the channel before it is saved. */
export function ThingSpeakBindingEditor({
  tenantId,
  device,
  onClose,
}: {
  tenantId: string;
  device: Device;
  onClose: () => void;
}) {
  const binding = useThingSpeakBinding(device.id);
  if (binding.isPending) return <p className="admin__muted">Loading the binding of {device.name}…</p>;
  if (binding.isError) return <ProblemNotice error={binding.error} />;
  return <BindingForm tenantId={tenantId} device={device} binding={binding.data} onClose={onClose} />;
}
