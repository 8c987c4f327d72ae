import type { Device } from '@tidewatch/shared';
import { useState } from 'react';
import { describeError } from '../api/api-error.ts';
import { sendCommand, useCommandState } from './asset-queries.ts';

/** The downlink commands a console offers; devices may support more, sent through the API. */
const commandChoices = [
  { command: 'pump_start', label: 'Start pump' },
  { command: 'pump_stop', label: 'Stop pump' },
  { command: 'valve_position', label: 'Set valve position (%)', param: 'percent' },
] as const;

type Choice = (typeof commandChoices)[number];

/**
 * A supervisor's downlink command: pick, confirm (naming device and command), then follow its state as the
 * device receives and acknowledges it.
 */
export function CommandPanel({ devices }: { devices: readonly Device[] }) {
  const [deviceId, setDeviceId] = useState(devices[0]?.id ?? '');
  const [choice, setChoice] = useState<Choice>(commandChoices[0]);
  const [value, setValue] = useState('50');
  const [confirming, setConfirming] = useState(false);
  const [sentId, setSentId] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const state = useCommandState(sentId);
  const device = devices.find((d) => d.id === deviceId);
  const params: Record<string, number> = 'param' in choice ? { [choice.param]: Number(value) } : {};

  if (devices.length === 0) return <p className="muted">No device to command.</p>;
  return (
    <div className="command-panel">
      <label>
        Device{' '}
        <select
          value={deviceId}
          onChange={(e) => {
            setDeviceId(e.target.value);
          }}
        >
          {devices.map((d) => (
            <option key={d.id} value={d.id}>
              {d.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        Command{' '}
        <select
          value={choice.command}
          onChange={(e) => {
            setChoice(commandChoices.find((c) => c.command === e.target.value) ?? commandChoices[0]);
          }}
        >
          {commandChoices.map((c) => (
            <option key={c.command} value={c.command}>
              {c.label}
            </option>
          ))}
        </select>
      </label>
      {'param' in choice ? (
        <input
          type="number"
          min={0}
          max={100}
          aria-label="Valve position in percent"
          value={value}
          onChange={(e) => {
            setValue(e.target.value);
          }}
        />
      ) : null}
      {confirming ? (
        <div role="alertdialog" aria-label="Confirm command" className="command-panel__confirm">
          <p>
            Send <strong>{choice.label}</strong>
            {'param' in choice ? ` ${value} %` : ''} to <strong>{device?.name}</strong>?
          </p>
          <button
            type="button"
            onClick={() => {
              setConfirming(false);
              setError(null);
              sendCommand(deviceId, choice.command, params).then(
                (command) => {
                  setSentId(command.id);
                },
                (failure: unknown) => {
                  setError(describeError(failure));
                },
              );
            }}
          >
            Confirm
          </button>
          <button
            type="button"
            onClick={() => {
              setConfirming(false);
            }}
          >
            Cancel
          </button>
        </div>
      ) : (
        <button
          type="button"
          onClick={() => {
            setConfirming(true);
          }}
          disabled={!device || device.disabled}
        >
          Send…
        </button>
      )}
      {error ? (
        <p role="alert" className="notice notice--error">
          {error}
        </p>
      ) : null}
      {state.data ? (
        <p className="command-panel__state" data-state={state.data.state}>
          {state.data.command}: <strong>{state.data.state}</strong>
          {state.data.failureReason ? ` (${state.data.failureReason})` : ''}
        </p>
      ) : null}
    </div>
  );
}
