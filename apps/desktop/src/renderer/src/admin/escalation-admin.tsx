import { alertPriorities, type AlarmSettings, type OnCallScheduleView } from '@tidewatch/shared';
import { useState } from 'react';
import { formatDateTime } from '../components/format.ts';
import { useUserNames } from '../reference/reference-data.ts';
import {
  useAddOverride,
  useAlarmSettings,
  useCreatePolicy,
  useCreateSchedule,
  useOnDuty,
  usePolicies,
  useSaveAlarmSettings,
  useSchedules,
  useSetPhone,
} from './escalation-queries.ts';
import { ProblemNotice } from './problem-notice.tsx';

const weekdayLabels = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;
type Names = ReadonlyMap<string, string> | undefined;

function UserSelect({
  label,
  value,
  names,
  onChange,
}: {
  label: string;
  value: string;
  names: Names;
  onChange: (id: string) => void;
}) {
  return (
    <label className="field">
      <span>{label}</span>
      <select
        value={value}
        onChange={(event) => {
          onChange(event.target.value);
        }}
      >
        <option value="">Choose…</option>
        {[...(names ?? new Map<string, string>())].map(([id, name]) => (
          <option key={id} value={id}>
            {name}
          </option>
        ))}
      </select>
    </label>
  );
}

function ChatteringPolicy({ tenantId, settings }: { tenantId: string; settings: AlarmSettings }) {
  const save = useSaveAlarmSettings(tenantId);
  const [raises, setRaises] = useState(settings.chatterRaises);
  const [windowS, setWindowS] = useState(settings.chatterWindowS);
  const [shelve, setShelve] = useState(
    settings.chatterShelveMinutes === null ? '' : String(settings.chatterShelveMinutes),
  );
  return (
    <form
      className="admin__form"
      aria-label="Chattering alarms"
      onSubmit={(event) => {
        event.preventDefault();
        save.mutate({
          chatterRaises: raises,
          chatterWindowS: windowS,
          chatterShelveMinutes: shelve.trim() === '' ? null : Number(shelve),
        });
      }}
    >
      <label className="field">
        <span>Chattering after raises</span>
        <input
          type="number"
          min={2}
          max={100}
          value={raises}
          onChange={(e) => {
            setRaises(Number(e.target.value));
          }}
        />
      </label>
      <label className="field">
        <span>within seconds</span>
        <input
          type="number"
          min={10}
          max={3600}
          value={windowS}
          onChange={(e) => {
            setWindowS(Number(e.target.value));
          }}
        />
      </label>
      <label className="field">
        <span>Shelve them for minutes (empty: flag only)</span>
        <input
          type="number"
          min={1}
          max={1440}
          value={shelve}
          onChange={(e) => {
            setShelve(e.target.value);
          }}
        />
      </label>
      <button type="submit" className="button">
        Save alarm policy
      </button>
      {save.isError ? <ProblemNotice error={save.error} /> : null}
      {save.isSuccess ? <span role="status">Saved</span> : null}
    </form>
  );
}

function OnDuty({
  tenantId,
  schedule,
  names,
}: {
  tenantId: string;
  schedule: OnCallScheduleView;
  names: Names;
}) {
  const duty = useOnDuty(tenantId, schedule.id);
  const who = duty.data?.userIds.map((id) => names?.get(id) ?? '?').join(', ');
  return <span>{who ? who : 'nobody'}</span>;
}

function Schedules({ tenantId, names }: { tenantId: string; names: Names }) {
  const schedules = useSchedules(tenantId);
  const create = useCreateSchedule(tenantId);
  const override = useAddOverride(tenantId);
  const [name, setName] = useState('');
  const [timeZone, setTimeZone] = useState(Intl.DateTimeFormat().resolvedOptions().timeZone);
  const [userId, setUserId] = useState('');
  const [days, setDays] = useState<ReadonlySet<number>>(new Set([1, 2, 3, 4, 5, 6, 7]));
  const [starts, setStarts] = useState('08:00');
  const [ends, setEnds] = useState('20:00');
  const [shifts, setShifts] = useState<
    { userId: string; weekdays: number[]; starts: string; ends: string }[]
  >([]);
  const [overrideFor, setOverrideFor] = useState({
    scheduleId: '',
    userId: '',
    from: '',
    to: '',
    reason: '',
  });
  return (
    <section aria-label="On-call schedules">
      <h3>On-call schedules</h3>
      <table className="admin__table">
        <thead>
          <tr>
            <th>Schedule</th>
            <th>Time zone</th>
            <th>Shifts</th>
            <th>On duty now</th>
          </tr>
        </thead>
        <tbody>
          {(schedules.data ?? []).map((schedule) => (
            <tr key={schedule.id}>
              <td>{schedule.name}</td>
              <td>{schedule.timeZone}</td>
              <td>
                {schedule.shifts
                  .map(
                    (s) =>
                      `${names?.get(s.userId) ?? '?'} ${s.weekdays.map((d) => weekdayLabels[d - 1]).join(' ')} ${s.starts}-${s.ends}`,
                  )
                  .join('; ')}
                {schedule.overrides.length > 0
                  ? `; overrides: ${schedule.overrides.map((o) => `${names?.get(o.userId) ?? '?'} ${formatDateTime(o.startsAt)} to ${formatDateTime(o.endsAt)}`).join('; ')}`
                  : ''}
              </td>
              <td>
                <OnDuty tenantId={tenantId} schedule={schedule} names={names} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form
        className="admin__form"
        aria-label="New on-call schedule"
        onSubmit={(event) => {
          event.preventDefault();
          create.mutate(
            { name, timeZone, shifts },
            {
              onSuccess: () => {
                setName('');
                setShifts([]);
              },
            },
          );
        }}
      >
        <label className="field">
          <span>Schedule name</span>
          <input
            required
            value={name}
            onChange={(e) => {
              setName(e.target.value);
            }}
          />
        </label>
        <label className="field">
          <span>Time zone</span>
          <input
            required
            value={timeZone}
            onChange={(e) => {
              setTimeZone(e.target.value);
            }}
          />
        </label>
        <UserSelect label="Shift of" value={userId} names={names} onChange={setUserId} />
        <fieldset className="admin__form">
          <legend>Days</legend>
          {weekdayLabels.map((label, index) => (
            <label key={label}>
              <input
                type="checkbox"
                checked={days.has(index + 1)}
                onChange={() => {
                  const next = new Set(days);
                  if (next.has(index + 1)) next.delete(index + 1);
                  else next.add(index + 1);
                  setDays(next);
                }}
              />{' '}
              {label}
            </label>
          ))}
        </fieldset>
        <label className="field">
          <span>From</span>
          <input
            type="time"
            value={starts}
            onChange={(e) => {
              setStarts(e.target.value);
            }}
          />
        </label>
        <label className="field">
          <span>To (at or before From: next day)</span>
          <input
            type="time"
            value={ends}
            onChange={(e) => {
              setEnds(e.target.value);
            }}
          />
        </label>
        <button
          type="button"
          className="button"
          disabled={userId === '' || days.size === 0}
          onClick={() => {
            setShifts([...shifts, { userId, weekdays: [...days].sort(), starts, ends }]);
          }}
        >
          Add shift ({shifts.length})
        </button>
        <button type="submit" className="button button--primary">
          Create schedule
        </button>
        {create.isError ? <ProblemNotice error={create.error} /> : null}
      </form>
      <form
        className="admin__form"
        aria-label="Override"
        onSubmit={(event) => {
          event.preventDefault();
          override.mutate({
            scheduleId: overrideFor.scheduleId,
            userId: overrideFor.userId,
            startsAt: new Date(overrideFor.from).toISOString(),
            endsAt: new Date(overrideFor.to).toISOString(),
            reason: overrideFor.reason,
          });
        }}
      >
        <label className="field">
          <span>Override on</span>
          <select
            required
            value={overrideFor.scheduleId}
            onChange={(e) => {
              setOverrideFor({ ...overrideFor, scheduleId: e.target.value });
            }}
          >
            <option value="">Choose…</option>
            {(schedules.data ?? []).map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </label>
        <UserSelect
          label="On duty instead"
          value={overrideFor.userId}
          names={names}
          onChange={(id) => {
            setOverrideFor({ ...overrideFor, userId: id });
          }}
        />
        <label className="field">
          <span>From</span>
          <input
            required
            type="datetime-local"
            value={overrideFor.from}
            onChange={(e) => {
              setOverrideFor({ ...overrideFor, from: e.target.value });
            }}
          />
        </label>
        <label className="field">
          <span>Until</span>
          <input
            required
            type="datetime-local"
            value={overrideFor.to}
            onChange={(e) => {
              setOverrideFor({ ...overrideFor, to: e.target.value });
            }}
          />
        </label>
        <label className="field">
          <span>Why</span>
          <input
            value={overrideFor.reason}
            onChange={(e) => {
              setOverrideFor({ ...overrideFor, reason: e.target.value });
            }}
          />
        </label>
        <button type="submit" className="button">
          Add override
        </button>
        {override.isError ? <ProblemNotice error={override.error} /> : null}
      </form>
    </section>
  );
}

function Policies({ tenantId, names }: { tenantId: string; names: Names }) {
  const policies = usePolicies(tenantId);
  const schedules = useSchedules(tenantId);
  const create = useCreatePolicy(tenantId);
  const [name, setName] = useState('');
  const [minPriority, setMinPriority] = useState<(typeof alertPriorities)[number]>('high');
  const [repeats, setRepeats] = useState(2);
  const [target, setTarget] = useState('');
  const [waitMinutes, setWaitMinutes] = useState(10);
  const [steps, setSteps] = useState<{ userId: string | null; scheduleId: string | null; waitS: number }[]>(
    [],
  );
  const scheduleName = (id: string | null) => schedules.data?.find((s) => s.id === id)?.name ?? '?';
  return (
    <section aria-label="Escalation policies">
      <h3>Escalation policies</h3>
      <table className="admin__table">
        <thead>
          <tr>
            <th>Policy</th>
            <th>Alerts</th>
            <th>Steps</th>
            <th>Repeats</th>
          </tr>
        </thead>
        <tbody>
          {(policies.data ?? []).map((policy) => (
            <tr key={policy.id}>
              <td>{policy.name}</td>
              <td>{policy.minPriority} or more urgent</td>
              <td>
                {policy.steps
                  .map(
                    (step, index) =>
                      `${String(index + 1)}. ${step.userId ? (names?.get(step.userId) ?? '?') : `on call: ${scheduleName(step.scheduleId)}`}, wait ${String(Math.round(step.waitS / 60))} min`,
                  )
                  .join('; ')}
              </td>
              <td>{policy.repeats}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <form
        className="admin__form"
        aria-label="New escalation policy"
        onSubmit={(event) => {
          event.preventDefault();
          create.mutate(
            { name, minPriority, repeats, steps },
            {
              onSuccess: () => {
                setName('');
                setSteps([]);
              },
            },
          );
        }}
      >
        <label className="field">
          <span>Policy name</span>
          <input
            required
            value={name}
            onChange={(e) => {
              setName(e.target.value);
            }}
          />
        </label>
        <label className="field">
          <span>For alerts at least</span>
          <select
            value={minPriority}
            onChange={(e) => {
              setMinPriority(e.target.value as (typeof alertPriorities)[number]);
            }}
          >
            {alertPriorities.map((priority) => (
              <option key={priority} value={priority}>
                {priority}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Repeat the steps</span>
          <input
            type="number"
            min={0}
            max={20}
            value={repeats}
            onChange={(e) => {
              setRepeats(Number(e.target.value));
            }}
          />
        </label>
        <label className="field">
          <span>Step: text</span>
          <select
            value={target}
            onChange={(e) => {
              setTarget(e.target.value);
            }}
          >
            <option value="">Choose…</option>
            {(schedules.data ?? []).map((s) => (
              <option key={s.id} value={`schedule:${s.id}`}>
                whoever is on call: {s.name}
              </option>
            ))}
            {[...(names ?? new Map<string, string>())].map(([id, userName]) => (
              <option key={id} value={`user:${id}`}>
                {userName}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>then wait minutes</span>
          <input
            type="number"
            min={0}
            max={1440}
            value={waitMinutes}
            onChange={(e) => {
              setWaitMinutes(Number(e.target.value));
            }}
          />
        </label>
        <button
          type="button"
          className="button"
          disabled={target === ''}
          onClick={() => {
            const [kind, id = ''] = target.split(':');
            setSteps([
              ...steps,
              {
                userId: kind === 'user' ? id : null,
                scheduleId: kind === 'schedule' ? id : null,
                waitS: waitMinutes * 60,
              },
            ]);
          }}
        >
          Add step ({steps.length})
        </button>
        <button type="submit" className="button button--primary" disabled={steps.length === 0}>
          Create policy
        </button>
        {create.isError ? <ProblemNotice error={create.error} /> : null}
      </form>
    </section>
  );
}

function Phones({ tenantId, names }: { tenantId: string; names: Names }) {
  const setPhone = useSetPhone(tenantId);
  const [userId, setUserId] = useState('');
  const [phone, setPhoneNumber] = useState('');
  return (
    <form
      className="admin__form"
      aria-label="Mobile numbers"
      onSubmit={(event) => {
        event.preventDefault();
        setPhone.mutate({ userId, phone: phone.trim() === '' ? null : phone.trim() });
      }}
    >
      <UserSelect label="User" value={userId} names={names} onChange={setUserId} />
      <label className="field">
        <span>Mobile number for SMS (+919812345678; empty: none)</span>
        <input
          value={phone}
          onChange={(e) => {
            setPhoneNumber(e.target.value);
          }}
          inputMode="tel"
        />
      </label>
      <button type="submit" className="button" disabled={userId === ''}>
        Save number
      </button>
      {setPhone.isError ? <ProblemNotice error={setPhone.error} /> : null}
      {setPhone.isSuccess ? <span role="status">Saved</span> : null}
    </form>
  );
}

/**
 * Escalation and alarm policy: on-call schedules with their shifts and overrides, escalation policies, the
 * numbers SMS go to, and what happens to chattering alarms.
 */
export function EscalationAdmin({ tenantId, canSetPhones }: { tenantId: string; canSetPhones: boolean }) {
  const names = useUserNames(tenantId).data;
  const settings = useAlarmSettings(tenantId);
  return (
    <div className="admin__panel">
      {settings.data ? <ChatteringPolicy tenantId={tenantId} settings={settings.data} /> : null}
      <Schedules tenantId={tenantId} names={names} />
      <Policies tenantId={tenantId} names={names} />
      {canSetPhones ? <Phones tenantId={tenantId} names={names} /> : null}
    </div>
  );
}
