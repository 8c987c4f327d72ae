import { useQueryClient } from '@tanstack/react-query';
import type { LorawanApplication, LorawanFormat } from '@tidewatch/shared';
import { useState } from 'react';
import { describeError } from '../api/api-error.ts';
import {
  createLorawanApplication,
  lorawanApplicationsKey,
  updateLorawanApplication,
  useLorawanApplications,
  useLorawanUplinks,
} from './lorawan-queries.ts';

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');

/** Connected, reconnecting (with its last error), paused by the circuit, or waiting for an instance. */
function ConnectionState({ app }: { app: LorawanApplication }) {
  const { state } = app;
  if (!app.enabled) return <span>disabled</span>;
  if (state.connected)
    return <span data-testid="lorawan-connected">connected since {when(state.connectedAt)}</span>;
  if (state.circuitOpenUntil)
    return (
      <span>
        paused until {when(state.circuitOpenUntil)}: {state.lastError}
      </span>
    );
  if (state.lastError)
    return (
      <span>
        reconnecting ({state.consecutiveFailures}): {state.lastError}
      </span>
    );
  return <span>{state.claimed ? 'connecting' : 'waiting for a server instance'}</span>;
}

/** The newest uplinks of the application, known DevEUIs or not, and the values they stored. */
function LiveUplinks({ applicationId }: { applicationId: string }) {
  const uplinks = useLorawanUplinks(applicationId);
  if (uplinks.error) return <p className="notice notice--error">{describeError(uplinks.error)}</p>;
  return (
    <table className="admin__table" aria-label="Last uplinks">
      <thead>
        <tr>
          <th>Received</th>
          <th>DevEUI</th>
          <th>FCnt</th>
          <th>Payload</th>
          <th>Outcome</th>
          <th>Stored</th>
        </tr>
      </thead>
      <tbody>
        {(uplinks.data?.items ?? []).map((u) => (
          <tr key={`${u.devEui}-${String(u.fCnt)}-${u.time}`}>
            <td>{when(u.receivedAt)}</td>
            <td>
              <code>{u.devEui}</code>
            </td>
            <td>{u.fCnt}</td>
            <td>
              <code>{JSON.stringify(u.payload)}</code>
            </td>
            <td>{u.outcome.replace('_', ' ')}</td>
            <td>
              {u.stored
                ? Object.entries(u.stored)
                    .map(([metric, value]) => `${metric} = ${String(value)}`)
                    .join(', ')
                : '—'}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * LoRaWAN network-server applications (ChirpStack v4, The Things Stack): bind one, see whether it is connected and
 * what its last uplinks stored. Devices are mapped to an application in their LoRaWAN binding (Devices, above).
 */
export function LorawanApplicationsAdmin({ tenantId }: { tenantId: string }) {
  const applications = useLorawanApplications(tenantId);
  const queryClient = useQueryClient();
  const [shown, setShown] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [form, setForm] = useState({
    name: '',
    format: 'chirpstack' as LorawanFormat,
    brokerUrl: 'mqtts://',
    username: '',
    password: '',
    networkApplicationId: '',
  });
  const field = (key: keyof typeof form) => (e: { target: { value: string } }) => {
    setForm({ ...form, [key]: e.target.value });
  };

  return (
    <section className="admin__section" aria-labelledby="lorawan-heading">
      <h2 id="lorawan-heading">LoRaWAN network servers</h2>
      <form
        className="admin__form"
        onSubmit={(event) => {
          event.preventDefault();
          setError(null);
          createLorawanApplication({
            ...form,
            username: form.username || null,
            password: form.password || null,
          }).then(
            () => {
              setForm({ ...form, name: '', password: '', networkApplicationId: '' });
              void queryClient.invalidateQueries({ queryKey: lorawanApplicationsKey(tenantId) });
            },
            (failure: unknown) => {
              setError(describeError(failure));
            },
          );
        }}
      >
        <label>
          Name <input value={form.name} required maxLength={200} onChange={field('name')} />
        </label>
        <label>
          Format{' '}
          <select value={form.format} onChange={field('format')}>
            <option value="chirpstack">ChirpStack v4</option>
            <option value="tts">The Things Stack</option>
          </select>
        </label>
        <label>
          Broker <input value={form.brokerUrl} required onChange={field('brokerUrl')} />
        </label>
        <label>
          Application id{' '}
          <input value={form.networkApplicationId} required onChange={field('networkApplicationId')} />
        </label>
        <label>
          User <input value={form.username} onChange={field('username')} autoComplete="off" />
        </label>
        <label>
          Password{' '}
          <input
            type="password"
            value={form.password}
            onChange={field('password')}
            autoComplete="new-password"
          />
        </label>
        <button type="submit">Bind</button>
      </form>
      {error ? (
        <p role="alert" className="notice notice--error">
          {error}
        </p>
      ) : null}
      <table className="admin__table" aria-label="LoRaWAN applications">
        <thead>
          <tr>
            <th>Name</th>
            <th>Format</th>
            <th>Application</th>
            <th>Devices</th>
            <th>Connection</th>
            <th>Last message</th>
            <th>Last error</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(applications.data ?? []).map((app) => (
            <tr key={app.id}>
              <td>{app.name}</td>
              <td>{app.format === 'tts' ? 'The Things Stack' : 'ChirpStack'}</td>
              <td>
                <code>{app.networkApplicationId}</code>
              </td>
              <td>{app.devices}</td>
              <td>
                <ConnectionState app={app} />
              </td>
              <td>{when(app.state.lastMessageAt)}</td>
              <td>{app.state.lastError ? `${app.state.lastError} (${when(app.state.lastErrorAt)})` : '—'}</td>
              <td>
                <button
                  type="button"
                  aria-label={`${app.enabled ? 'Disable' : 'Enable'} ${app.name}`}
                  onClick={() => {
                    setError(null);
                    updateLorawanApplication(app.id, { enabled: !app.enabled }).then(
                      () =>
                        void queryClient.invalidateQueries({ queryKey: lorawanApplicationsKey(tenantId) }),
                      (failure: unknown) => {
                        setError(describeError(failure));
                      },
                    );
                  }}
                >
                  {app.enabled ? 'Disable' : 'Enable'}
                </button>{' '}
                <button
                  type="button"
                  onClick={() => {
                    setShown(shown === app.id ? null : app.id);
                  }}
                >
                  {shown === app.id ? 'Hide uplinks' : 'Last uplinks'}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {shown ? <LiveUplinks applicationId={shown} /> : null}
    </section>
  );
}
