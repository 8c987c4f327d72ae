import { useMutation, useQueryClient } from '@tanstack/react-query';
import {
  opcuaDeadbandTypes,
  opcuaPreviewRequestSchema,
  opcuaSecurityModes,
  opcuaSecurityPolicies,
  putOpcuaBindingSchema,
  type Device,
  type OpcuaBinding,
  type OpcuaPreview,
  type OpcuaSecurityMode,
  type OpcuaSecurityPolicy,
} from '@tidewatch/shared';
import { useState } from 'react';
import { useMetrics } from '../../alerts/alert-rule-queries.ts';
import { formatDateTime } from '../../components/format.ts';
import { ProblemNotice } from '../problem-notice.tsx';
import { OpcuaSessionState } from './opcua-session-state.tsx';
import './opcua.css';
import {
  opcuaBindingKey,
  previewOpcuaEndpoint,
  saveOpcuaBinding,
  useOpcuaBinding,
  type OpcuaBindingInput,
  type OpcuaPreviewInput,
} from './opcua-queries.ts';

interface ItemRow {
  readonly nodeId: string;
  readonly metricKey: string;
  readonly samplingIntervalMs: string;
  readonly deadbandType: (typeof opcuaDeadbandTypes)[number];
  readonly deadbandValue: string;
  readonly scale: string;
  readonly offset: string;
}

interface CommandRow {
  readonly command: string;
  readonly kind: 'write' | 'call';
  readonly nodeId: string;
  readonly objectNodeId: string;
}

interface Draft {
  readonly endpointUrl: string;
  readonly securityPolicy: OpcuaSecurityPolicy;
  readonly securityMode: OpcuaSecurityMode;
  readonly username: string;
  readonly password: string;
  readonly publishingIntervalMs: string;
  readonly enabled: boolean;
  readonly items: readonly ItemRow[];
  readonly commands: readonly CommandRow[];
  readonly browse: string;
}

const valueFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 6 });
const formatValue = (value: number | null): string => (value === null ? '—' : valueFormat.format(value));
const number = (text: string, fallback: number): number => (text.trim() === '' ? fallback : Number(text));

const fieldLabels = {
  endpointUrl: 'Endpoint',
  securityMode: 'Security mode',
  items: 'Monitored items',
  commands: 'Commands',
  browse: 'Browse from',
};

function draftOf(binding: OpcuaBinding | null): Draft {
  return {
    endpointUrl: binding?.endpointUrl ?? 'opc.tcp://',
    securityPolicy: binding?.securityPolicy ?? 'Basic256Sha256',
    securityMode: binding?.securityMode ?? 'SignAndEncrypt',
    username: binding?.username ?? '',
    password: '',
    publishingIntervalMs: String(binding?.publishingIntervalMs ?? 1000),
    enabled: binding?.enabled ?? true,
    items: binding
      ? binding.items.map((item) => ({
          nodeId: item.nodeId,
          metricKey: item.metricKey,
          samplingIntervalMs: String(item.samplingIntervalMs),
          deadbandType: item.deadbandType,
          deadbandValue: String(item.deadbandValue),
          scale: String(item.scale),
          offset: String(item.offset),
        }))
      : [
          {
            nodeId: 'ns=2;s=',
            metricKey: 'level_cm',
            samplingIntervalMs: '1000',
            deadbandType: 'none',
            deadbandValue: '0',
            scale: '1',
            offset: '0',
          },
        ],
    commands: (binding?.commands ?? []).map((c) => ({
      command: c.command,
      kind: c.kind,
      nodeId: c.nodeId,
      objectNodeId: c.objectNodeId ?? '',
    })),
    browse: 'i=85',
  };
}

const itemsOf = (rows: readonly ItemRow[]) =>
  rows.map((row) => ({
    nodeId: row.nodeId.trim(),
    metricKey: row.metricKey,
    samplingIntervalMs: number(row.samplingIntervalMs, 1000),
    deadbandType: row.deadbandType,
    deadbandValue: number(row.deadbandValue, 0),
    scale: number(row.scale, 1),
    offset: number(row.offset, 0),
  }));

const connectionOf = (draft: Draft) => ({
  endpointUrl: draft.endpointUrl.trim(),
  securityPolicy: draft.securityPolicy,
  securityMode: draft.securityMode,
  username: draft.username.trim() === '' ? null : draft.username.trim(),
  // Left empty, the server uses the stored password (for the same user); it is never shown back.
  ...(draft.password === '' ? {} : { password: draft.password }),
});

function bindingInput(draft: Draft): OpcuaBindingInput {
  return {
    ...connectionOf(draft),
    publishingIntervalMs: number(draft.publishingIntervalMs, 1000),
    enabled: draft.enabled,
    items: itemsOf(draft.items),
    commands: draft.commands.map((c) => ({
      command: c.command.trim(),
      kind: c.kind,
      nodeId: c.nodeId.trim(),
      objectNodeId: c.kind === 'call' ? c.objectNodeId.trim() : null,
    })),
  };
}

function previewInput(draft: Draft, browse: boolean): OpcuaPreviewInput {
  return {
    ...connectionOf(draft),
    items: itemsOf(draft.items),
    browse: browse && draft.browse.trim() !== '' ? draft.browse.trim() : null,
  };
}

function firstIssue(result: {
  success: boolean;
  error?: { issues: { path: PropertyKey[]; message: string }[] };
}) {
  if (result.success) return null;
  const issue = result.error?.issues[0];
  return issue ? `${issue.path.map(String).join('.') || 'binding'}: ${issue.message}` : 'not complete';
}

/** The mapped nodes as read now, and the children of the browsed node (click one to map it). */
function PreviewTables({ preview, onMap }: { preview: OpcuaPreview; onMap: (nodeId: string) => void }) {
  return (
    <>
      {preview.values.length > 0 ? (
        <table className="admin__table opcua__preview" aria-label="Live values" data-testid="opcua-preview">
          <thead>
            <tr>
              <th>Node</th>
              <th>Metric</th>
              <th>Read</th>
              <th>Status</th>
              <th>Source time</th>
              <th>Stored</th>
            </tr>
          </thead>
          <tbody>
            {preview.values.map((value) => (
              <tr key={`${value.nodeId}-${value.metricKey}`} data-rejected={value.rejected ?? undefined}>
                <td>
                  <code>{value.nodeId}</code>
                </td>
                <td>{value.metricKey}</td>
                <td>
                  {value.raw ?? '∅'} <span className="admin__muted">{value.dataType}</span>
                </td>
                <td>{value.statusCode}</td>
                <td>{value.sourceTimestamp ? formatDateTime(value.sourceTimestamp) : '—'}</td>
                <td>
                  {value.rejected ? (
                    <span className="opcua__rejected">{value.rejected.replace(/_/g, ' ')}</span>
                  ) : (
                    <strong>{formatValue(value.stored)}</strong>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {preview.browsed ? (
        <table className="admin__table" aria-label="Browsed nodes" data-testid="opcua-browse">
          <thead>
            <tr>
              <th>Browse name</th>
              <th>Class</th>
              <th>Node</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {preview.browsed.map((node) => (
              <tr key={node.nodeId}>
                <td>{node.displayName || node.browseName}</td>
                <td>{node.nodeClass}</td>
                <td>
                  <code>{node.nodeId}</code>
                </td>
                <td>
                  {node.nodeClass === 'Variable' ? (
                    <button
                      type="button"
                      onClick={() => {
                        onMap(node.nodeId);
                      }}
                    >
                      Map
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </>
  );
}

function BindingForm({
  device,
  binding,
  tenantId,
  onClose,
}: {
  device: Device;
  binding: OpcuaBinding | null;
  tenantId: string;
  onClose: () => void;
}) {
  const queryClient = useQueryClient();
  const metrics = useMetrics(tenantId);
  const [draft, setDraft] = useState<Draft>(() => draftOf(binding));
  const [previewed, setPreviewed] = useState<OpcuaPreview | null>(null);
  const saveIssue = firstIssue(putOpcuaBindingSchema.safeParse(bindingInput(draft)));
  const previewIssue = firstIssue(opcuaPreviewRequestSchema.safeParse(previewInput(draft, true)));
  const preview = useMutation({
    mutationFn: (body: OpcuaPreviewInput) => previewOpcuaEndpoint(device.id, body),
    onSuccess: setPreviewed,
  });
  const save = useMutation({
    mutationFn: () => saveOpcuaBinding(device.id, bindingInput(draft)),
    onSuccess: (saved) => {
      queryClient.setQueryData(opcuaBindingKey(device.id), saved);
    },
  });
  const change = (next: Partial<Draft>) => {
    setDraft((current) => ({ ...current, ...next }));
  };
  const changeItem = (index: number, next: Partial<ItemRow>) => {
    change({ items: draft.items.map((row, i) => (i === index ? { ...row, ...next } : row)) });
  };
  const changeCommand = (index: number, next: Partial<CommandRow>) => {
    change({ commands: draft.commands.map((row, i) => (i === index ? { ...row, ...next } : row)) });
  };
  const metricOptions = (current: string) => (
    <>
      {(metrics.data ?? []).some((m) => m.key === current) ? null : (
        <option value={current}>{current}</option>
      )}
      {(metrics.data ?? []).map((metric) => (
        <option key={metric.id} value={metric.key}>
          {metric.key} ({metric.unit || metric.name})
        </option>
      ))}
    </>
  );

  return (
    <form
      className="admin__dialog-form opcua"
      aria-label={`OPC UA binding of ${device.name}`}
      onSubmit={(event) => {
        event.preventDefault();
        save.mutate();
      }}
    >
      <h3>OPC UA binding of {device.name}</h3>
      {binding ? <OpcuaSessionState binding={binding} tenantId={tenantId} /> : null}
      <div className="admin__form">
        <label>
          Endpoint{' '}
          <input
            className="opcua__endpoint"
            value={draft.endpointUrl}
            onChange={(e) => {
              change({ endpointUrl: e.target.value });
            }}
          />
        </label>
        <label>
          Security policy{' '}
          <select
            value={draft.securityPolicy}
            onChange={(e) => {
              const policy = e.target.value as OpcuaSecurityPolicy;
              change({
                securityPolicy: policy,
                securityMode:
                  policy === 'None'
                    ? 'None'
                    : draft.securityMode === 'None'
                      ? 'SignAndEncrypt'
                      : draft.securityMode,
              });
            }}
          >
            {opcuaSecurityPolicies.map((policy) => (
              <option key={policy} value={policy}>
                {policy}
              </option>
            ))}
          </select>
        </label>
        <label>
          Mode{' '}
          <select
            value={draft.securityMode}
            onChange={(e) => {
              change({ securityMode: e.target.value as OpcuaSecurityMode });
            }}
          >
            {opcuaSecurityModes.map((mode) => (
              <option key={mode} value={mode}>
                {mode}
              </option>
            ))}
          </select>
        </label>
        <label>
          User{' '}
          <input
            value={draft.username}
            autoComplete="off"
            placeholder="anonymous"
            onChange={(e) => {
              change({ username: e.target.value });
            }}
          />
        </label>
        <label>
          Password{' '}
          <input
            type="password"
            value={draft.password}
            autoComplete="new-password"
            placeholder={binding?.hasPassword ? 'stored (type it to change)' : ''}
            onChange={(e) => {
              change({ password: e.target.value });
            }}
          />
        </label>
        <label>
          Publishing (ms){' '}
          <input
            type="number"
            min={50}
            value={draft.publishingIntervalMs}
            onChange={(e) => {
              change({ publishingIntervalMs: e.target.value });
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
          Connected
        </label>
      </div>
      <table className="admin__table" aria-label="Monitored items">
        <thead>
          <tr>
            <th>Node id</th>
            <th>Metric</th>
            <th>Sampling (ms)</th>
            <th>Deadband</th>
            <th>Scale</th>
            <th>Offset</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {draft.items.map((row, index) => {
            const n = String(index + 1);
            return (
              <tr key={index}>
                <td>
                  <input
                    aria-label={`Node of item ${n}`}
                    value={row.nodeId}
                    onChange={(e) => {
                      changeItem(index, { nodeId: e.target.value });
                    }}
                  />
                </td>
                <td>
                  <select
                    aria-label={`Metric of item ${n}`}
                    value={row.metricKey}
                    onChange={(e) => {
                      changeItem(index, { metricKey: e.target.value });
                    }}
                  >
                    {metricOptions(row.metricKey)}
                  </select>
                </td>
                <td>
                  <input
                    aria-label={`Sampling of item ${n}`}
                    type="number"
                    min={0}
                    value={row.samplingIntervalMs}
                    onChange={(e) => {
                      changeItem(index, { samplingIntervalMs: e.target.value });
                    }}
                  />
                </td>
                <td>
                  <select
                    aria-label={`Deadband of item ${n}`}
                    value={row.deadbandType}
                    onChange={(e) => {
                      changeItem(index, { deadbandType: e.target.value as ItemRow['deadbandType'] });
                    }}
                  >
                    {opcuaDeadbandTypes.map((type) => (
                      <option key={type} value={type}>
                        {type}
                      </option>
                    ))}
                  </select>{' '}
                  {row.deadbandType === 'none' ? null : (
                    <input
                      aria-label={`Deadband value of item ${n}`}
                      type="number"
                      step="any"
                      min={0}
                      value={row.deadbandValue}
                      onChange={(e) => {
                        changeItem(index, { deadbandValue: e.target.value });
                      }}
                    />
                  )}
                </td>
                <td>
                  <input
                    aria-label={`Scale of item ${n}`}
                    type="number"
                    step="any"
                    value={row.scale}
                    onChange={(e) => {
                      changeItem(index, { scale: e.target.value });
                    }}
                  />
                </td>
                <td>
                  <input
                    aria-label={`Offset of item ${n}`}
                    type="number"
                    step="any"
                    value={row.offset}
                    onChange={(e) => {
                      changeItem(index, { offset: e.target.value });
                    }}
                  />
                </td>
                <td>
                  <button
                    type="button"
                    disabled={draft.items.length === 1}
                    onClick={() => {
                      change({ items: draft.items.filter((_, i) => i !== index) });
                    }}
                  >
                    Remove
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <table className="admin__table" aria-label="Commands">
        <thead>
          <tr>
            <th>Command</th>
            <th>Kind</th>
            <th>Node id (variable or method)</th>
            <th>Object (for a call)</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {draft.commands.map((row, index) => {
            const n = String(index + 1);
            return (
              <tr key={index}>
                <td>
                  <input
                    aria-label={`Name of command ${n}`}
                    value={row.command}
                    onChange={(e) => {
                      changeCommand(index, { command: e.target.value });
                    }}
                  />
                </td>
                <td>
                  <select
                    aria-label={`Kind of command ${n}`}
                    value={row.kind}
                    onChange={(e) => {
                      changeCommand(index, { kind: e.target.value as CommandRow['kind'] });
                    }}
                  >
                    <option value="write">write</option>
                    <option value="call">call</option>
                  </select>
                </td>
                <td>
                  <input
                    aria-label={`Node of command ${n}`}
                    value={row.nodeId}
                    onChange={(e) => {
                      changeCommand(index, { nodeId: e.target.value });
                    }}
                  />
                </td>
                <td>
                  {row.kind === 'call' ? (
                    <input
                      aria-label={`Object of command ${n}`}
                      value={row.objectNodeId}
                      onChange={(e) => {
                        changeCommand(index, { objectNodeId: e.target.value });
                      }}
                    />
                  ) : null}
                </td>
                <td>
                  <button
                    type="button"
                    onClick={() => {
                      change({ commands: draft.commands.filter((_, i) => i !== index) });
                    }}
                  >
                    Remove
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <div className="admin__form">
        <button
          type="button"
          onClick={() => {
            change({
              items: [
                ...draft.items,
                {
                  nodeId: 'ns=2;s=',
                  metricKey: '',
                  samplingIntervalMs: '1000',
                  deadbandType: 'none',
                  deadbandValue: '0',
                  scale: '1',
                  offset: '0',
                },
              ],
            });
          }}
        >
          Add item
        </button>
        <button
          type="button"
          onClick={() => {
            change({
              commands: [
                ...draft.commands,
                { command: '', kind: 'write', nodeId: 'ns=2;s=', objectNodeId: '' },
              ],
            });
          }}
        >
          Add command
        </button>
        <label>
          Browse from{' '}
          <input
            aria-label="Browse from"
            value={draft.browse}
            onChange={(e) => {
              change({ browse: e.target.value });
            }}
          />
        </label>
        <button
          type="button"
          disabled={previewIssue !== null || preview.isPending}
          onClick={() => {
            preview.mutate(previewInput(draft, true));
          }}
        >
          {preview.isPending ? 'Reading the server…' : 'Read now'}
        </button>
        <button type="submit" disabled={saveIssue !== null || save.isPending}>
          Save binding
        </button>
        <button type="button" onClick={onClose}>
          Close
        </button>
        {(saveIssue ?? previewIssue) ? (
          <span className="admin__muted">To complete: {saveIssue ?? previewIssue}</span>
        ) : null}
      </div>
      {preview.isError ? (
        <ProblemNotice error={preview.error} fieldLabels={fieldLabels} testId="opcua-preview-problem" />
      ) : null}
      {save.isError ? <ProblemNotice error={save.error} fieldLabels={fieldLabels} /> : null}
      {save.isSuccess ? (
        <p className="admin__muted">Saved; the session is made anew with these settings.</p>
      ) : null}
      {previewed && !preview.isError ? (
        <PreviewTables
          preview={previewed}
          onMap={(nodeId) => {
            change({
              items: [
                ...draft.items,
                {
                  nodeId,
                  metricKey: '',
                  samplingIntervalMs: '1000',
                  deadbandType: 'none',
                  deadbandValue: '0',
                  scale: '1',
                  offset: '0',
                },
              ],
            });
          }}
        />
      ) : null}
    </form>
  );
}

/** An OPC UA device's endpoint, monitored items and commands, read live before saving, with its session state. */
export function OpcuaBindingEditor({
  tenantId,
  device,
  onClose,
}: {
  tenantId: string;
  device: Device;
  onClose: () => void;
}) {
  const binding = useOpcuaBinding(device.id);
  if (binding.isPending) return <p className="admin__muted">Loading the binding of {device.name}…</p>;
  if (binding.isError) return <ProblemNotice error={binding.error} />;
  return <BindingForm tenantId={tenantId} device={device} binding={binding.data} onClose={onClose} />;
}
