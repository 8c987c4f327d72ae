import { useMutation, useQueryClient } from '@tanstack/react-query';
import {
  modbusDataTypes,
  modbusOrders,
  putModbusBindingSchema,
  type Device,
  type ModbusBinding,
  type ModbusDataType,
  type ModbusOrder,
  type ModbusPreview,
} from '@tidewatch/shared';
import { useState } from 'react';
import { formatDateTime } from '../components/format.ts';
import { ProblemNotice } from './problem-notice.tsx';
import './thingspeak.css';
import {
  modbusBindingKey,
  previewModbusRegisters,
  saveModbusBinding,
  useModbusBinding,
  type ModbusBindingInput,
} from './modbus-queries.ts';

interface RegisterRow {
  readonly metricKey: string;
  readonly function: string;
  readonly address: string;
  readonly type: ModbusDataType;
  readonly wordOrder: ModbusOrder;
  readonly byteOrder: ModbusOrder;
  readonly scale: string;
  readonly offset: string;
  readonly writable: boolean;
}

interface Draft {
  readonly host: string;
  readonly port: string;
  readonly unitId: string;
  readonly pollIntervalMs: string;
  readonly timeoutMs: string;
  readonly enabled: boolean;
  readonly rows: readonly RegisterRow[];
}

const FUNCTIONS = [
  ['1', '1 coil'],
  ['2', '2 discrete input'],
  ['3', '3 holding register'],
  ['4', '4 input register'],
] as const;

const fieldLabels = { host: 'Address', port: 'Port', unitId: 'Unit id', registers: 'Registers' };

const valueFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 6 });
const formatValue = (value: number | null): string => (value === null ? '—' : valueFormat.format(value));

const newRow: RegisterRow = {
  metricKey: 'pressure_bar',
  function: '3',
  address: '0',
  type: 'float32',
  wordOrder: 'big',
  byteOrder: 'big',
  scale: '1',
  offset: '0',
  writable: false,
};

function draftOf(binding: ModbusBinding | null): Draft {
  return {
    host: binding?.host ?? '',
    port: String(binding?.port ?? 502),
    unitId: String(binding?.unitId ?? 1),
    pollIntervalMs: String(binding?.pollIntervalMs ?? 10_000),
    timeoutMs: String(binding?.timeoutMs ?? 2000),
    enabled: binding?.enabled ?? true,
    rows: binding
      ? binding.registers.map((r) => ({
          metricKey: r.metricKey,
          function: String(r.function),
          address: String(r.address),
          type: r.type,
          wordOrder: r.wordOrder,
          byteOrder: r.byteOrder,
          scale: String(r.scale),
          offset: String(r.offset),
          writable: r.writable,
        }))
      : [newRow],
  };
}

function inputOf(draft: Draft): ModbusBindingInput {
  return {
    host: draft.host.trim(),
    port: Number(draft.port),
    unitId: Number(draft.unitId),
    pollIntervalMs: Number(draft.pollIntervalMs),
    timeoutMs: Number(draft.timeoutMs),
    enabled: draft.enabled,
    registers: draft.rows.map((row) => ({
      metricKey: row.metricKey.trim(),
      function: Number(row.function) as 1 | 2 | 3 | 4,
      address: Number(row.address),
      type: row.type,
      wordOrder: row.wordOrder,
      byteOrder: row.byteOrder,
      scale: row.scale.trim() === '' ? 1 : Number(row.scale),
      offset: row.offset.trim() === '' ? 0 : Number(row.offset),
      writable: row.writable,
    })),
  };
}

/** The connector as it stands: connection, last read, last error and the endpoint's circuit. */
function ConnectorState({ binding }: { binding: ModbusBinding }) {
  const { state } = binding;
  return (
    <dl className="admin__muted" data-testid="modbus-state">
      <dt>Connected</dt>
      <dd>{state.connected ? 'yes' : 'no'}</dd>
      <dt>Last read</dt>
      <dd>{state.lastReadAt ? formatDateTime(state.lastReadAt) : '—'}</dd>
      <dt>Circuit</dt>
      <dd data-circuit={state.circuit}>
        {state.circuit}
        {state.consecutiveFailures > 0 ? ` (${String(state.consecutiveFailures)} failures)` : ''}
        {state.nextAttemptAt ? `, next try ${formatDateTime(state.nextAttemptAt)}` : ''}
      </dd>
      <dt>Last error</dt>
      <dd>{state.lastError ?? '—'}</dd>
    </dl>
  );
}

function PreviewTable({ preview }: { preview: ModbusPreview }) {
  return (
    <table
      className="admin__table thingspeak__preview"
      aria-label="Values the binding would store"
      data-testid="modbus-preview"
    >
      <thead>
        <tr>
          <th>Metric</th>
          <th>Registers read</th>
          <th>Mapped</th>
          <th>Stored</th>
          <th>Not stored because</th>
        </tr>
      </thead>
      <tbody>
        {preview.values.map((value) => (
          <tr key={value.metricKey}>
            <td>{value.metricKey}</td>
            <td>
              {value.raw ? value.raw.map((w) => `0x${w.toString(16).padStart(4, '0')}`).join(' ') : '—'}
            </td>
            <td>{formatValue(value.mapped)}</td>
            <td>{formatValue(value.stored)}</td>
            <td>{value.error ?? value.rejected ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Binds a Modbus device to its gateway with a register map, with a live read of what it would store. */
export function ModbusBindingEditor({ device, onClose }: { device: Device; onClose: () => void }) {
  const binding = useModbusBinding(device.id);
  if (binding.isPending) return <p className="admin__muted">Loading the Modbus binding…</p>;
  if (binding.isError) return <ProblemNotice error={binding.error} />;
  return <ModbusBindingForm device={device} binding={binding.data} onClose={onClose} />;
}

function ModbusBindingForm({
  device,
  binding,
  onClose,
}: {
  device: Device;
  binding: ModbusBinding | null;
  onClose: () => void;
}) {
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<Draft>(() => draftOf(binding));
  const input = inputOf(draft);
  const checked = putModbusBindingSchema.safeParse(input);
  const issue = checked.success ? null : (checked.error.issues[0] ?? null);
  const preview = useMutation({ mutationFn: () => previewModbusRegisters(device.id, input) });
  const save = useMutation({
    mutationFn: () => saveModbusBinding(device.id, input),
    onSuccess: (saved) => {
      queryClient.setQueryData(modbusBindingKey(device.id), saved);
    },
  });
  const setRow = (index: number, change: Partial<RegisterRow>) => {
    setDraft((d) => ({ ...d, rows: d.rows.map((row, i) => (i === index ? { ...row, ...change } : row)) }));
  };
  const text = (key: 'host' | 'port' | 'unitId' | 'pollIntervalMs' | 'timeoutMs', label: string) => (
    <label>
      {label}
      <input
        value={draft[key]}
        onChange={(event) => {
          setDraft((d) => ({ ...d, [key]: event.target.value }));
        }}
      />
    </label>
  );
  return (
    <section className="admin__dialog-form thingspeak" aria-label={`Modbus binding of ${device.name}`}>
      <h3>Modbus binding of {device.name}</h3>
      {binding ? <ConnectorState binding={binding} /> : null}
      <div className="admin__form">
        {text('host', 'Address')}
        {text('port', 'Port')}
        {text('unitId', 'Unit id')}
        {text('pollIntervalMs', 'Poll every (ms)')}
        {text('timeoutMs', 'Timeout (ms)')}
        <label>
          <input
            type="checkbox"
            checked={draft.enabled}
            onChange={(event) => {
              setDraft((d) => ({ ...d, enabled: event.target.checked }));
            }}
          />
          Enabled
        </label>
      </div>
      <table className="admin__table" aria-label="Register map">
        <thead>
          <tr>
            <th>Metric</th>
            <th>Function</th>
            <th>Address</th>
            <th>Type</th>
            <th>Word order</th>
            <th>Byte order</th>
            <th>Scale</th>
            <th>Offset</th>
            <th>Writable</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {draft.rows.map((row, index) => (
            <tr key={index}>
              <td>
                <input
                  aria-label="Metric"
                  value={row.metricKey}
                  onChange={(e) => {
                    setRow(index, { metricKey: e.target.value });
                  }}
                />
              </td>
              <td>
                <select
                  aria-label="Function"
                  value={row.function}
                  onChange={(e) => {
                    const fn = e.target.value;
                    setRow(index, { function: fn, type: fn === '1' || fn === '2' ? 'bool' : 'uint16' });
                  }}
                >
                  {FUNCTIONS.map(([value, label]) => (
                    <option key={value} value={value}>
                      {label}
                    </option>
                  ))}
                </select>
              </td>
              <td>
                <input
                  aria-label="Address"
                  value={row.address}
                  onChange={(e) => {
                    setRow(index, { address: e.target.value });
                  }}
                />
              </td>
              <td>
                <select
                  aria-label="Type"
                  value={row.type}
                  onChange={(e) => {
                    setRow(index, { type: e.target.value as ModbusDataType });
                  }}
                >
                  {modbusDataTypes.map((type) => (
                    <option key={type}>{type}</option>
                  ))}
                </select>
              </td>
              {(['wordOrder', 'byteOrder'] as const).map((key) => (
                <td key={key}>
                  <select
                    aria-label={key === 'wordOrder' ? 'Word order' : 'Byte order'}
                    value={row[key]}
                    onChange={(e) => {
                      setRow(index, { [key]: e.target.value as ModbusOrder });
                    }}
                  >
                    {modbusOrders.map((order) => (
                      <option key={order}>{order}</option>
                    ))}
                  </select>
                </td>
              ))}
              {(['scale', 'offset'] as const).map((key) => (
                <td key={key}>
                  <input
                    aria-label={key === 'scale' ? 'Scale' : 'Offset'}
                    value={row[key]}
                    onChange={(e) => {
                      setRow(index, { [key]: e.target.value });
                    }}
                  />
                </td>
              ))}
              <td>
                <input
                  type="checkbox"
                  aria-label="Writable"
                  checked={row.writable}
                  onChange={(e) => {
                    setRow(index, { writable: e.target.checked });
                  }}
                />
              </td>
              <td>
                <button
                  type="button"
                  onClick={() => {
                    setDraft((d) => ({ ...d, rows: d.rows.filter((_r, i) => i !== index) }));
                  }}
                >
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <button
        type="button"
        onClick={() => {
          setDraft((d) => ({ ...d, rows: [...d.rows, { ...newRow, metricKey: '' }] }));
        }}
      >
        Add register
      </button>
      {issue ? (
        <p className="admin__muted">
          {issue.path.map(String).join('.') || 'binding'}: {issue.message}
        </p>
      ) : null}
      <div className="admin__form">
        <button
          type="button"
          disabled={!checked.success || preview.isPending}
          onClick={() => {
            preview.mutate();
          }}
        >
          Read now
        </button>
        <button
          type="button"
          disabled={!checked.success || save.isPending}
          onClick={() => {
            save.mutate();
          }}
        >
          Save
        </button>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
      {preview.data ? <PreviewTable preview={preview.data} /> : null}
      {preview.isError ? <ProblemNotice error={preview.error} fieldLabels={fieldLabels} /> : null}
      {save.isError ? <ProblemNotice error={save.error} fieldLabels={fieldLabels} /> : null}
    </section>
  );
}
