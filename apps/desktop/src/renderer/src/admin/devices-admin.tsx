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
  useDevices,
  type DeviceCredentials,
} from './admin-queries.ts';
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
 * ThingSpeak device to its channel.
 */
export function DevicesAdmin({ tenantId }: { tenantId: string }) {
  const devices = useDevices(tenantId);
  const role = useSessionStore((state) => state.session?.user.role);
  const canBind = role !== undefined && can(role, 'integration:write');
  const [binding, setBinding] = useState<Device | null>(null);
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
      {binding ? (
        <ThingSpeakBindingEditor
          key={binding.id}
          tenantId={tenantId}
          device={binding}
          onClose={() => {
            setBinding(null);
          }}
        />
      ) : null}
      <table className="admin__table" aria-label="Devices">
        <thead>
          <tr>
            <th>Name</th>
            <th>Transport</th>
            <th>State</th>
            <th>Last seen</th>
            <th>Secret rotated</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(devices.data ?? []).map((device) => (
            <tr key={device.id} data-device-id={device.id}>
              <td>{device.name}</td>
              <td>{device.transport}</td>
              <td>{device.disabled ? 'disabled' : device.connectivity}</td>
              <td>{device.lastSeenAt ? new Date(device.lastSeenAt).toLocaleString() : '—'}</td>
              <td>
                {device.credentialRotatedAt ? new Date(device.credentialRotatedAt).toLocaleString() : '—'}
              </td>
              <td>
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
                {device.transport !== 'thingspeak' ? (
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
    </section>
  );
}
