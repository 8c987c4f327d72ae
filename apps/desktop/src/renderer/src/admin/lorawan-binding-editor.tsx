import { useMutation, useQueryClient } from '@tanstack/react-query';
import {
  putLorawanDeviceSchema,
  type Device,
  type LorawanApplication,
  type LorawanDevice,
  type LorawanPreview,
} from '@tidewatch/shared';
import { useState } from 'react';
import { formatDateTime } from '../components/format.ts';
import { ProblemNotice } from './problem-notice.tsx';
import './thingspeak.css';
import {
  lorawanDeviceKey,
  previewLorawanDevice,
  saveLorawanDevice,
  useLorawanApplications,
  useLorawanDevice,
  type LorawanDeviceInput,
} from './lorawan-queries.ts';

interface MappingRow {
  readonly path: string;
  readonly metricKey: string;
  readonly scale: string;
  readonly offset: string;
}

interface Draft {
  readonly lorawanApplicationId: string;
  readonly devEui: string;
  readonly networkDeviceId: string;
  readonly fPort: string;
  readonly confirmed: boolean;
  readonly rows: readonly MappingRow[];
}

const fieldLabels = {
  lorawanApplicationId: 'Application',
  devEui: 'DevEUI',
  networkDeviceId: 'Things Stack device id',
  fPort: 'Downlink port',
  mappings: 'Payload mapping',
};

const valueFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 6 });
const formatValue = (value: number | null): string => (value === null ? '—' : valueFormat.format(value));

function draftOf(device: Device, binding: LorawanDevice | null, firstApplication: string): Draft {
  return {
    lorawanApplicationId: binding?.lorawanApplicationId ?? firstApplication,
    devEui: binding?.devEui ?? '',
    networkDeviceId: binding?.networkDeviceId ?? '',
    fPort: String(binding?.fPort ?? 10),
    confirmed: binding?.confirmed ?? true,
    rows: binding
      ? binding.mappings.map((m) => ({
          path: m.path,
          metricKey: m.metricKey,
          scale: String(m.scale),
          offset: String(m.offset),
        }))
      : device.series.map((s) => ({ path: s.metricKey, metricKey: s.metricKey, scale: '1', offset: '0' })),
  };
}

function inputOf(draft: Draft, format: LorawanApplication['format'] | undefined): LorawanDeviceInput {
  return {
    lorawanApplicationId: draft.lorawanApplicationId,
    devEui: draft.devEui.trim(),
    networkDeviceId:
      format === 'tts' && draft.networkDeviceId.trim() !== '' ? draft.networkDeviceId.trim() : null,
    fPort: Number(draft.fPort),
    confirmed: draft.confirmed,
    mappings: draft.rows.map((row) => ({
      path: row.path.trim(),
      metricKey: row.metricKey.trim(),
      scale: row.scale.trim() === '' ? 1 : Number(row.scale),
      offset: row.offset.trim() === '' ? 0 : Number(row.offset),
    })),
  };
}

/** What the network server last told about the device: join, battery, margin, last uplink. */
function DeviceState({ binding }: { binding: LorawanDevice }) {
  const { state } = binding;
  return (
    <dl className="admin__muted" data-testid="lorawan-device-state">
      <dt>Joined</dt>
      <dd>{state.joinedAt ? `${formatDateTime(state.joinedAt)} (${state.devAddr ?? '—'})` : '—'}</dd>
      <dt>Last uplink</dt>
      <dd>
        {state.lastUplinkAt
          ? `${formatDateTime(state.lastUplinkAt)}, FCnt ${String(state.lastFCnt ?? '—')}`
          : '—'}
      </dd>
      <dt>Battery</dt>
      <dd>
        {state.externalPower
          ? 'external power'
          : state.batteryLevel === null
            ? '—'
            : `${String(state.batteryLevel)} %`}
        {state.margin === null ? '' : `, margin ${String(state.margin)} dB`}
      </dd>
    </dl>
  );
}

/** The uplinks already received from the DevEUI, each mapped value as it would be stored or why not. */
function PreviewTable({ preview }: { preview: LorawanPreview }) {
  if (preview.uplinks.length === 0)
    return (
      <p className="admin__muted" data-testid="lorawan-preview-empty">
        No uplink received from this DevEUI yet: nothing to preview.
      </p>
    );
  return (
    <table
      className="admin__table thingspeak__preview"
      aria-label="Values the binding would store"
      data-testid="lorawan-preview"
    >
      <thead>
        <tr>
          <th>Time</th>
          <th>FCnt</th>
          {(preview.uplinks[0]?.values ?? []).map((value) => (
            <th key={value.metricKey}>{value.metricKey}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {preview.uplinks.map((uplink) => (
          <tr key={`${String(uplink.fCnt)}-${uplink.time}`} data-fcnt={uplink.fCnt}>
            <td>{formatDateTime(uplink.time)}</td>
            <td>{uplink.fCnt}</td>
            {uplink.values.map((value) => (
              <td
                key={value.metricKey}
                data-metric={value.metricKey}
                data-stored={value.stored ?? ''}
                title={`raw ${JSON.stringify(value.raw)}`}
              >
                {value.rejected
                  ? `not stored: ${value.rejected.replaceAll('_', ' ')}`
                  : formatValue(value.stored)}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Maps a LoRaWAN device to an application by DevEUI, with a preview of what its received uplinks would store. */
export function LorawanBindingEditor({
  tenantId,
  device,
  onClose,
}: {
  tenantId: string;
  device: Device;
  onClose: () => void;
}) {
  const binding = useLorawanDevice(device.id);
  const applications = useLorawanApplications(tenantId);
  if (binding.isPending || applications.isPending)
    return <p className="admin__muted">Loading the LoRaWAN binding…</p>;
  if (binding.isError) return <ProblemNotice error={binding.error} />;
  if (applications.isError) return <ProblemNotice error={applications.error} />;
  return (
    <LorawanBindingForm
      device={device}
      binding={binding.data}
      applications={applications.data}
      onClose={onClose}
    />
  );
}

function LorawanBindingForm({
  device,
  binding,
  applications,
  onClose,
}: {
  device: Device;
  binding: LorawanDevice | null;
  applications: readonly LorawanApplication[];
  onClose: () => void;
}) {
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<Draft>(() => draftOf(device, binding, applications[0]?.id ?? ''));
  const application = applications.find((a) => a.id === draft.lorawanApplicationId);
  const input = inputOf(draft, application?.format);
  const checked = putLorawanDeviceSchema.safeParse(input);
  const issue = checked.success ? null : (checked.error.issues[0] ?? null);
  const preview = useMutation({
    mutationFn: () =>
      previewLorawanDevice(device.id, {
        lorawanApplicationId: input.lorawanApplicationId,
        devEui: input.devEui,
        mappings: input.mappings,
      }),
  });
  const save = useMutation({
    mutationFn: () => saveLorawanDevice(device.id, input),
    onSuccess: (saved) => {
      queryClient.setQueryData(lorawanDeviceKey(device.id), saved);
    },
  });
  const setRow = (index: number, change: Partial<MappingRow>) => {
    setDraft((d) => ({ ...d, rows: d.rows.map((row, i) => (i === index ? { ...row, ...change } : row)) }));
  };
  const text = (key: 'devEui' | 'networkDeviceId' | 'fPort', label: string) => (
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
    <form
      className="admin__dialog-form thingspeak"
      aria-label={`LoRaWAN binding of ${device.name}`}
      onSubmit={(event) => {
        event.preventDefault();
        if (checked.success) save.mutate();
      }}
    >
      <h3>LoRaWAN binding of {device.name}</h3>
      {binding ? <DeviceState binding={binding} /> : null}
      {applications.length === 0 ? (
        <p className="admin__muted">
          Bind a network server application first (LoRaWAN network servers, below).
        </p>
      ) : null}
      <div className="admin__form">
        <label>
          Application
          <select
            value={draft.lorawanApplicationId}
            onChange={(event) => {
              setDraft((d) => ({ ...d, lorawanApplicationId: event.target.value }));
            }}
          >
            {applications.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name} ({a.format === 'tts' ? 'The Things Stack' : 'ChirpStack'})
              </option>
            ))}
          </select>
        </label>
        {text('devEui', 'DevEUI')}
        {application?.format === 'tts' ? text('networkDeviceId', 'Things Stack device id') : null}
        {text('fPort', 'Downlink port')}
        <label>
          <input
            type="checkbox"
            checked={draft.confirmed}
            onChange={(event) => {
              setDraft((d) => ({ ...d, confirmed: event.target.checked }));
            }}
          />
          Confirmed downlinks
        </label>
      </div>
      <table className="admin__table" aria-label="Payload mapping">
        <thead>
          <tr>
            <th>Payload path</th>
            <th>Metric</th>
            <th>Scale</th>
            <th>Offset</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {draft.rows.map((row, index) => {
            const n = String(index + 1);
            return (
              <tr key={index}>
                {(['path', 'metricKey', 'scale', 'offset'] as const).map((key) => (
                  <td key={key}>
                    <input
                      aria-label={`${{ path: 'Path', metricKey: 'Metric', scale: 'Scale', offset: 'Offset' }[key]} of mapping ${n}`}
                      value={row[key]}
                      onChange={(e) => {
                        setRow(index, { [key]: e.target.value });
                      }}
                    />
                  </td>
                ))}
                <td>
                  <button
                    type="button"
                    aria-label={`Remove mapping ${n}`}
                    onClick={() => {
                      setDraft((d) => ({ ...d, rows: d.rows.filter((_r, i) => i !== index) }));
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
      <button
        type="button"
        onClick={() => {
          setDraft((d) => ({
            ...d,
            rows: [...d.rows, { path: '', metricKey: '', scale: '1', offset: '0' }],
          }));
        }}
      >
        Add mapping
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
          Preview
        </button>
        <button type="submit" disabled={!checked.success || save.isPending}>
          Save binding
        </button>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
      {save.isSuccess ? (
        <p role="status" className="admin__muted">
          Saved.
        </p>
      ) : null}
      {preview.data ? <PreviewTable preview={preview.data} /> : null}
      {preview.isError ? <ProblemNotice error={preview.error} fieldLabels={fieldLabels} /> : null}
      {save.isError ? <ProblemNotice error={save.error} fieldLabels={fieldLabels} /> : null}
    </form>
  );
}
