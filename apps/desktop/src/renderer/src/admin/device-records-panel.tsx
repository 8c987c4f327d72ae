import { useMutation, useQueryClient } from '@tanstack/react-query';
import { can, type Device } from '@tidewatch/shared';
import { useState } from 'react';
import { describeError } from '../api/api-error.ts';
import { useSessionStore } from '../session/session-store.ts';
import {
  addCalibration,
  addFirmware,
  deviceRecordsKey,
  useCalibrations,
  useDeviceAvailability,
  useFirmware,
} from './device-records-queries.ts';
import { AvailabilitySummary, PeriodPicker, usePeriod } from './availability-view.tsx';

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');

/** A device's records: calibrations, firmware and up time; the maintenance role adds the first two. */
export function DeviceRecordsPanel({ device, onClose }: { device: Device; onClose: () => void }) {
  const role = useSessionStore((state) => state.session?.user.role);
  const canWrite = role !== undefined && can(role, 'maintenance_log:write');
  return (
    <section className="admin__records" aria-label={`Records of ${device.name}`} data-testid="device-records">
      <h3>
        Records of {device.name}{' '}
        <button type="button" onClick={onClose}>
          Close
        </button>
      </h3>
      <Calibrations device={device} canWrite={canWrite} />
      <Firmware device={device} canWrite={canWrite} />
      <DeviceAvailabilitySection device={device} />
    </section>
  );
}

function Calibrations({ device, canWrite }: { device: Device; canWrite: boolean }) {
  const queryClient = useQueryClient();
  const calibrations = useCalibrations(device.id);
  const [seriesId, setSeriesId] = useState(String(device.series[0]?.id ?? ''));
  const [scale, setScale] = useState('1');
  const [offset, setOffset] = useState('0');
  const [validFrom, setValidFrom] = useState('');
  const [note, setNote] = useState('');
  const add = useMutation({
    mutationFn: () =>
      addCalibration(device.id, {
        seriesId: Number(seriesId),
        scale: Number(scale),
        offset: Number(offset),
        validFrom: validFrom ? new Date(validFrom).toISOString() : new Date().toISOString(),
        note: note.trim() === '' ? null : note.trim(),
      }),
    onSuccess: () => {
      setNote('');
      void queryClient.invalidateQueries({ queryKey: deviceRecordsKey(device.id) });
    },
  });
  return (
    <div>
      <h4>Calibrations</h4>
      <table className="admin__table" aria-label="Calibrations">
        <thead>
          <tr>
            <th>Metric</th>
            <th>Scale</th>
            <th>Offset</th>
            <th>From</th>
            <th>To</th>
            <th>Note</th>
          </tr>
        </thead>
        <tbody>
          {(calibrations.data ?? []).map((c) => (
            <tr key={c.id}>
              <td>{c.metricKey}</td>
              <td>{c.scale}</td>
              <td>{c.offset}</td>
              <td>{when(c.validFrom)}</td>
              <td>{c.validTo ? when(c.validTo) : 'in force'}</td>
              <td>{c.note ?? ''}</td>
            </tr>
          ))}
          {calibrations.data?.length === 0 ? (
            <tr>
              <td colSpan={6} className="muted">
                No calibration recorded.
              </td>
            </tr>
          ) : null}
        </tbody>
      </table>
      {canWrite && device.series.length > 0 ? (
        <form
          className="admin__form"
          aria-label="Add calibration"
          onSubmit={(event) => {
            event.preventDefault();
            add.mutate();
          }}
        >
          <label>
            Series{' '}
            <select
              value={seriesId}
              onChange={(e) => {
                setSeriesId(e.target.value);
              }}
            >
              {device.series.map((s) => (
                <option key={s.id} value={String(s.id)}>
                  {s.metricKey}
                </option>
              ))}
            </select>
          </label>
          <label>
            Scale{' '}
            <input
              type="number"
              step="any"
              required
              value={scale}
              onChange={(e) => {
                setScale(e.target.value);
              }}
            />
          </label>
          <label>
            Offset{' '}
            <input
              type="number"
              step="any"
              required
              value={offset}
              onChange={(e) => {
                setOffset(e.target.value);
              }}
            />
          </label>
          <label>
            Valid from{' '}
            <input
              type="datetime-local"
              value={validFrom}
              onChange={(e) => {
                setValidFrom(e.target.value);
              }}
            />
          </label>
          <label>
            Note{' '}
            <input
              maxLength={2000}
              value={note}
              onChange={(e) => {
                setNote(e.target.value);
              }}
            />
          </label>
          <button type="submit" disabled={add.isPending}>
            Add calibration
          </button>
        </form>
      ) : null}
      {add.isError ? (
        <p role="alert" className="notice notice--error">
          {describeError(add.error)}
        </p>
      ) : null}
    </div>
  );
}

function Firmware({ device, canWrite }: { device: Device; canWrite: boolean }) {
  const queryClient = useQueryClient();
  const firmware = useFirmware(device.id);
  const [version, setVersion] = useState('');
  const [note, setNote] = useState('');
  const add = useMutation({
    mutationFn: () =>
      addFirmware(device.id, { version: version.trim(), note: note.trim() === '' ? null : note.trim() }),
    onSuccess: () => {
      setVersion('');
      setNote('');
      void queryClient.invalidateQueries({ queryKey: deviceRecordsKey(device.id) });
      void queryClient.invalidateQueries({ queryKey: ['admin', 'devices'] });
    },
  });
  return (
    <div>
      <h4>Firmware</h4>
      <ul aria-label="Firmware versions">
        {(firmware.data ?? []).map((f) => (
          <li key={f.id}>
            <strong>{f.version}</strong> installed {when(f.installedAt)}
            {f.note ? ` — ${f.note}` : ''}
          </li>
        ))}
        {firmware.data?.length === 0 ? <li className="muted">No firmware recorded.</li> : null}
      </ul>
      {canWrite ? (
        <form
          className="admin__form"
          aria-label="Add firmware"
          onSubmit={(event) => {
            event.preventDefault();
            add.mutate();
          }}
        >
          <label>
            Version{' '}
            <input
              required
              maxLength={100}
              value={version}
              onChange={(e) => {
                setVersion(e.target.value);
              }}
            />
          </label>
          <label>
            Note{' '}
            <input
              maxLength={2000}
              value={note}
              onChange={(e) => {
                setNote(e.target.value);
              }}
            />
          </label>
          <button type="submit" disabled={add.isPending || version.trim() === ''}>
            Record firmware
          </button>
        </form>
      ) : null}
      {add.isError ? (
        <p role="alert" className="notice notice--error">
          {describeError(add.error)}
        </p>
      ) : null}
    </div>
  );
}

function DeviceAvailabilitySection({ device }: { device: Device }) {
  const [period, setPeriod] = usePeriod();
  const availability = useDeviceAvailability(device.id, period);
  return (
    <div>
      <h4>Up time</h4>
      <PeriodPicker period={period} onChange={setPeriod} target={{ kind: 'devices', id: device.id }} />
      {availability.isError ? (
        <p role="alert" className="notice notice--error">
          {describeError(availability.error)}
        </p>
      ) : null}
      {availability.data ? (
        <>
          <AvailabilitySummary
            uptimePercent={availability.data.uptimePercent}
            downtimeS={availability.data.downtimeS}
          />
          <table className="admin__table" aria-label="Downtimes">
            <thead>
              <tr>
                <th>Down from</th>
                <th>Until</th>
                <th>Reason</th>
              </tr>
            </thead>
            <tbody>
              {availability.data.downtimes.map((d) => (
                <tr key={d.id}>
                  <td>{when(d.startedAt)}</td>
                  <td>{d.endedAt ? when(d.endedAt) : 'still down'}</td>
                  <td>{d.reason ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </div>
  );
}
