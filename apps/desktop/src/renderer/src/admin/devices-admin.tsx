import { useQueryClient } from '@tanstack/react-query';
import { can, type Device } from '@tidewatch/shared';
import { useState } from 'react';
import { describeError } from '../api/api-error.ts';
import { useSessionStore } from '../session/session-store.ts';
import {
  devicesKey,
  provisionDevice,
  rotateDeviceSecret,
  setDeviceDisabled,
  setDeviceTags,
  useDevices,
  type DeviceCredentials,
} from './admin-queries.ts';
import { LorawanBindingEditor } from './lorawan-binding-editor.tsx';
import { parseTags } from '../assets/asset-draft.ts';
import { DeviceRecordsPanel } from './device-records-panel.tsx';
import { ModbusBindingEditor } from './modbus-binding-editor.tsx';
import { OpcuaBindingEditor } from './opcua/opcua-binding-editor.tsx';
import { OpcuaTrustList } from './opcua/opcua-trust-list.tsx';
import { ThingSpeakBindingEditor } from './thingspeak-binding-editor.tsx';

const METRIC_KEY = /^[a-z][a-z0-9_]{0,63}$/;

/** The secret of a device just provisioned or rotated: the server keeps only its hash, so this is the one look. */
function SecretOnce({ credentials, onDismiss }: { credentials: DeviceCredentials; onDismiss: () => void }) {
  return (
    <div className="notice admin__secret" role="status" data-testid="device-secret">
      <p>
        Secret for <strong>{credentials.device.name}</strong> (MQTT user{' '}
        <code data-testid="device-secret-user">{credentials.device.id}</code>):{' '}
        <code data-testid="device-secret-value">{credentials.secret ?? ''}</code>
      </p>
      <p className="muted">Copy it now: it is not stored and cannot be shown again.</p>
      <button type="button" onClick={onDismiss}>
        I have copied it
      </button>
    </div>
  );
}

/**
 * Devices of the tenant: provision (the secret shown once), rotate the secret, disable or enable, and bind a
 * ThingSpeak, Modbus, OPC UA or LoRaWAN device to its source.
 */
/** Whether a device carries a tag, as the API's `?tag=` matches (`key` matches every value); '' for all. */
function hasTag(tags: readonly string[], wanted: string): boolean {
  if (wanted === '') return true;
  return tags.some((tag) => tag === wanted || (!wanted.includes(':') && tag.startsWith(`${wanted}:`)));
}

/** A device's tags, edited in place: typed with spaces or commas between, saved as a whole. */
function DeviceTags({ device, onSave }: { device: Device; onSave: (tags: string[]) => void }) {
  const [text, setText] = useState(device.tags.join(' '));
  const tags = parseTags(text);
  const changed = tags.join(' ') !== device.tags.join(' ');
  return (
    <form
      className="admin__tags"
      onSubmit={(event) => {
        event.preventDefault();
        onSave(tags);
      }}
    >
      <input
        aria-label={`Tags of ${device.name}`}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
        }}
      />
      {changed ? <button type="submit">Save tags</button> : null}
    </form>
  );
}

export function DevicesAdmin({ tenantId }: { tenantId: string }) {
  const devices = useDevices(tenantId);
  const role = useSessionStore((state) => state.session?.user.role);
  const canBind = role !== undefined && can(role, 'integration:write');
  const [binding, setBinding] = useState<Device | null>(null);
  const [records, setRecords] = useState<Device | null>(null);
  const [tagFilter, setTagFilter] = useState('');
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [metrics, setMetrics] = useState('level_cm');
  const [credentials, setCredentials] = useState<DeviceCredentials | null>(null);
  const [error, setError] = useState<string | null>(null);

  const act = (work: Promise<DeviceCredentials | null>) => {
    setError(null);
    work.then(
      (issued) => {
        if (issued) setCredentials(issued);
        void queryClient.invalidateQueries({ queryKey: devicesKey(tenantId) });
      },
      (failure: unknown) => {
        setError(describeError(failure));
      },
    );
  };

  const metricKeys = metrics
    .split(',')
    .map((key) => key.trim())
    .filter((key) => key !== '');
  const invalidMetric = metricKeys.find((key) => !METRIC_KEY.test(key));

  return (
    <section className="admin__section" aria-labelledby="devices-heading">
      <h2 id="devices-heading">Devices</h2>
      <form
        className="admin__form"
        onSubmit={(event) => {
          event.preventDefault();
          act(provisionDevice({ name: name.trim(), metricKeys }));
          setName('');
        }}
      >
        <label>
          Device name{' '}
          <input
            value={name}
            required
            maxLength={200}
            onChange={(e) => {
              setName(e.target.value);
            }}
          />
        </label>
        <label>
          Metrics{' '}
          <input
            value={metrics}
            aria-invalid={invalidMetric !== undefined}
            onChange={(e) => {
              setMetrics(e.target.value);
            }}
          />
        </label>
        <button type="submit" disabled={name.trim() === '' || invalidMetric !== undefined}>
          Provision
        </button>
        {invalidMetric !== undefined ? (
          <span className="muted">“{invalidMetric}” is not a metric key (a-z, 0-9, _)</span>
        ) : null}
      </form>
      {credentials ? (
        <SecretOnce
          credentials={credentials}
          onDismiss={() => {
            setCredentials(null);
          }}
        />
      ) : null}
      {error ? (
        <p role="alert" className="notice notice--error">
          {error}
        </p>
      ) : null}
      {devices.error ? (
        <p role="alert" className="notice notice--error">
          {describeError(devices.error)}
        </p>
      ) : null}
      {/* Above the list, so it opens in view whichever row asked for it. */}
      {binding?.transport === 'modbus' ? (
        <ModbusBindingEditor
          key={binding.id}
          device={binding}
          onClose={() => {
            setBinding(null);
          }}
        />
      ) : null}
      {binding?.transport === 'opcua' ? (
        <OpcuaBindingEditor
          key={binding.id}
          tenantId={tenantId}
          device={binding}
          onClose={() => {
            setBinding(null);
          }}
        />
      ) : null}
      {binding?.transport === 'lorawan' ? (
        <LorawanBindingEditor
          key={binding.id}
          tenantId={tenantId}
          device={binding}
          onClose={() => {
            setBinding(null);
          }}
        />
      ) : null}
      {binding?.transport === 'thingspeak' ? (
        <ThingSpeakBindingEditor
          key={binding.id}
          tenantId={tenantId}
          device={binding}
          onClose={() => {
            setBinding(null);
          }}
        />
      ) : null}
      {records ? (
        <DeviceRecordsPanel
          key={records.id}
          device={records}
          onClose={() => {
            setRecords(null);
          }}
        />
      ) : null}
      <label>
        Filter by tag{' '}
        <input
          type="search"
          aria-label="Filter devices by tag"
          value={tagFilter}
          onChange={(e) => {
            setTagFilter(e.target.value.trim());
          }}
        />
      </label>
      <table className="admin__table" aria-label="Devices">
        <thead>
          <tr>
            <th>Name</th>
            <th>Transport</th>
            <th>State</th>
            <th>Last seen</th>
            <th>Secret rotated</th>
            <th>Tags</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(devices.data ?? [])
            .filter((device) => hasTag(device.tags, tagFilter))
            .map((device) => (
              <tr key={device.id} data-device-id={device.id}>
                <td>{device.name}</td>
                <td>{device.transport}</td>
                <td>{device.disabled ? 'disabled' : device.connectivity}</td>
                <td>{device.lastSeenAt ? new Date(device.lastSeenAt).toLocaleString() : '—'}</td>
                <td>
                  {device.credentialRotatedAt ? new Date(device.credentialRotatedAt).toLocaleString() : '—'}
                </td>
                <td>
                  <DeviceTags
                    device={device}
                    onSave={(tags) => {
                      act(setDeviceTags(device.id, tags).then(() => null));
                    }}
                  />
                </td>
                <td>
                  <button
                    type="button"
                    onClick={() => {
                      setRecords(device);
                    }}
                  >
                    Records
                  </button>{' '}
                  {device.transport === 'thingspeak' && canBind ? (
                    <button
                      type="button"
                      onClick={() => {
                        setBinding(device);
                      }}
                    >
                      ThingSpeak channel
                    </button>
                  ) : null}
                  {device.transport === 'modbus' && canBind ? (
                    <button
                      type="button"
                      onClick={() => {
                        setBinding(device);
                      }}
                    >
                      Modbus binding
                    </button>
                  ) : null}
                  {device.transport === 'opcua' && canBind ? (
                    <button
                      type="button"
                      onClick={() => {
                        setBinding(device);
                      }}
                    >
                      OPC UA binding
                    </button>
                  ) : null}
                  {device.transport === 'lorawan' && canBind ? (
                    <button
                      type="button"
                      onClick={() => {
                        setBinding(device);
                      }}
                    >
                      LoRaWAN binding
                    </button>
                  ) : null}
                  {device.transport === 'mqtt' || device.transport === 'http' ? (
                    <button
                      type="button"
                      onClick={() => {
                        if (
                          window.confirm(
                            `Issue a new secret for ${device.name}? The old one stops working at once.`,
                          )
                        )
                          act(rotateDeviceSecret(device.id));
                      }}
                    >
                      Rotate secret
                    </button>
                  ) : null}{' '}
                  <button
                    type="button"
                    onClick={() => {
                      act(setDeviceDisabled(device.id, !device.disabled).then(() => null));
                    }}
                  >
                    {device.disabled ? 'Enable' : 'Disable'}
                  </button>
                </td>
              </tr>
            ))}
        </tbody>
      </table>
      {canBind ? <OpcuaTrustList tenantId={tenantId} canDecide={canBind} /> : null}
    </section>
  );
}
