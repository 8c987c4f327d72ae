import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { AssetTimeline, MaintenanceLog, MaintenancePlan, TimelineKind } from '@tidewatch/shared';
import { useState } from 'react';
import { apiRequest } from '../api/api-client.ts';
import { describeError } from '../api/api-error.ts';

const assetPath = (assetId: string) => `/assets/${encodeURIComponent(assetId)}`;
const historyKey = (assetId: string) => ['asset', assetId, 'history'] as const;
const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');

const kindLabels: Readonly<Record<TimelineKind, string>> = {
  maintenance: 'Work',
  maintenance_plan: 'Planned',
  alert: 'Alarm',
  calibration: 'Calibration',
  downtime: 'Downtime',
  command: 'Command',
  firmware: 'Firmware',
};

/**
 * An asset's history in one timeline (work, alarms, calibrations, downtime, commands, firmware) and its planned
 * maintenance; the maintenance role logs work and plans it here.
 */
export function AssetHistory({ assetId, canLog }: { assetId: string; canLog: boolean }) {
  const timeline = useQuery({
    queryKey: [...historyKey(assetId), 'timeline'],
    queryFn: ({ signal }) =>
      apiRequest<AssetTimeline>(`${assetPath(assetId)}/timeline`, { query: { limit: 50 }, signal }),
  });
  const plans = useQuery({
    queryKey: [...historyKey(assetId), 'plans'],
    queryFn: async ({ signal }) =>
      (await apiRequest<{ items: MaintenancePlan[] }>(`${assetPath(assetId)}/maintenance-plans`, { signal }))
        .items,
  });
  return (
    <section aria-label="Asset history" data-testid="asset-history">
      <h3>Planned maintenance</h3>
      <ul aria-label="Maintenance plans">
        {(plans.data ?? []).map((plan) => (
          <li key={plan.id}>
            {plan.title} · due {when(plan.dueAt)}
            {plan.intervalDays ? ` · every ${String(plan.intervalDays)} days` : ''}
            {plan.completedAt ? ` · done ${when(plan.completedAt)}` : ''}
          </li>
        ))}
        {plans.data?.length === 0 ? <li className="muted">Nothing planned.</li> : null}
      </ul>
      {canLog ? <PlanForm assetId={assetId} /> : null}
      {canLog ? <LogWorkForm assetId={assetId} plans={plans.data ?? []} /> : null}
      <h3>Timeline</h3>
      {timeline.isError ? (
        <p role="alert" className="notice notice--error">
          {describeError(timeline.error)}
        </p>
      ) : null}
      <ol className="asset-history__timeline" aria-label="Timeline">
        {(timeline.data?.items ?? []).map((entry) => (
          <li key={`${entry.kind}:${entry.id}`} data-kind={entry.kind}>
            <span className="muted">{when(entry.at)}</span> <strong>{kindLabels[entry.kind]}</strong>{' '}
            {entry.title}
            {entry.detail ? <span className="muted"> — {entry.detail}</span> : null}
          </li>
        ))}
        {timeline.data?.items.length === 0 ? <li className="muted">No history yet.</li> : null}
      </ol>
    </section>
  );
}

function LogWorkForm({ assetId, plans }: { assetId: string; plans: readonly MaintenancePlan[] }) {
  const queryClient = useQueryClient();
  const [workDone, setWorkDone] = useState('');
  const [partsUsed, setPartsUsed] = useState('');
  const [planId, setPlanId] = useState('');
  const log = useMutation({
    mutationFn: () =>
      apiRequest<MaintenanceLog>(`${assetPath(assetId)}/maintenance-logs`, {
        method: 'POST',
        body: {
          workDone: workDone.trim(),
          partsUsed: partsUsed.trim() === '' ? null : partsUsed.trim(),
          startedAt: new Date().toISOString(),
          maintenancePlanId: planId === '' ? null : planId,
        },
      }),
    onSuccess: () => {
      setWorkDone('');
      setPartsUsed('');
      setPlanId('');
      void queryClient.invalidateQueries({ queryKey: historyKey(assetId) });
    },
  });
  return (
    <form
      className="asset-history__form"
      aria-label="Log work"
      onSubmit={(event) => {
        event.preventDefault();
        log.mutate();
      }}
    >
      <label>
        Work done{' '}
        <textarea
          required
          maxLength={10_000}
          value={workDone}
          onChange={(e) => {
            setWorkDone(e.target.value);
          }}
        />
      </label>
      <label>
        Parts used{' '}
        <input
          maxLength={2000}
          value={partsUsed}
          onChange={(e) => {
            setPartsUsed(e.target.value);
          }}
        />
      </label>
      <label>
        Completes plan{' '}
        <select
          value={planId}
          onChange={(e) => {
            setPlanId(e.target.value);
          }}
        >
          <option value="">None</option>
          {plans
            .filter((plan) => plan.completedAt === null)
            .map((plan) => (
              <option key={plan.id} value={plan.id}>
                {plan.title}
              </option>
            ))}
        </select>
      </label>
      <button type="submit" disabled={log.isPending || workDone.trim() === ''}>
        Log work
      </button>
      {log.isError ? (
        <p role="alert" className="notice notice--error">
          {describeError(log.error)}
        </p>
      ) : null}
    </form>
  );
}

function PlanForm({ assetId }: { assetId: string }) {
  const queryClient = useQueryClient();
  const [title, setTitle] = useState('');
  const [dueOn, setDueOn] = useState('');
  const [intervalDays, setIntervalDays] = useState('');
  const plan = useMutation({
    mutationFn: () =>
      apiRequest<MaintenancePlan>(`${assetPath(assetId)}/maintenance-plans`, {
        method: 'POST',
        body: {
          title: title.trim(),
          dueAt: new Date(`${dueOn}T09:00:00`).toISOString(),
          intervalDays: intervalDays === '' ? null : Number(intervalDays),
        },
      }),
    onSuccess: () => {
      setTitle('');
      setDueOn('');
      setIntervalDays('');
      void queryClient.invalidateQueries({ queryKey: historyKey(assetId) });
    },
  });
  return (
    <form
      className="asset-history__form"
      aria-label="Plan maintenance"
      onSubmit={(event) => {
        event.preventDefault();
        plan.mutate();
      }}
    >
      <label>
        Plan{' '}
        <input
          required
          maxLength={300}
          value={title}
          onChange={(e) => {
            setTitle(e.target.value);
          }}
        />
      </label>
      <label>
        Due{' '}
        <input
          type="date"
          required
          value={dueOn}
          onChange={(e) => {
            setDueOn(e.target.value);
          }}
        />
      </label>
      <label>
        Every (days){' '}
        <input
          type="number"
          min={1}
          max={3660}
          value={intervalDays}
          onChange={(e) => {
            setIntervalDays(e.target.value);
          }}
        />
      </label>
      <button type="submit" disabled={plan.isPending || title.trim() === '' || dueOn === ''}>
        Plan
      </button>
      {plan.isError ? (
        <p role="alert" className="notice notice--error">
          {describeError(plan.error)}
        </p>
      ) : null}
    </form>
  );
}
