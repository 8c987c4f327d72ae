import { useQueryClient } from '@tanstack/react-query';
import { can, type IsolationPlan, type Role } from '@tidewatch/shared';
import { useState } from 'react';
import { describeError } from '../api/api-error.ts';
import { incidentActions } from '../incidents/incident-actions.ts';
import { applyIncident, useIncidents } from '../incidents/incident-queries.ts';
import { useSessionStore } from '../session/session-store.ts';
import { isolationPlanNote } from './isolation-plan-note.ts';
import { useMapStore } from './map-store.ts';

function AssetLinks({
  items,
  label,
  testId,
}: {
  items: readonly { id: string; code: string }[];
  label: string;
  testId: string;
}) {
  const select = useMapStore((state) => state.select);
  if (items.length === 0)
    return (
      <span className="muted" data-testid={testId}>
        none
      </span>
    );
  return (
    <ul className="isolation-plan__list" aria-label={label} data-testid={testId}>
      {items.map((item) => (
        <li key={item.id} data-asset-id={item.id} data-code={item.code}>
          <button
            type="button"
            className="link"
            onClick={() => {
              select(item.id);
            }}
          >
            {item.code}
          </button>
        </li>
      ))}
    </ul>
  );
}

/** Attaches the plan to an incident as a note: a new incident about the pipe, or an open one. */
function AttachToIncident({ plan, pipeCode, role }: { plan: IsolationPlan; pipeCode: string; role: Role }) {
  const tenantId = useSessionStore((state) => state.session?.tenantId ?? null);
  const incidents = useIncidents(tenantId);
  const queryClient = useQueryClient();
  const [target, setTarget] = useState('new');
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  if (!can(role, 'incident:note')) return null;
  const open = (incidents.data ?? []).filter((incident) => incident.status !== 'closed');
  const note = isolationPlanNote(plan, pipeCode);

  const attach = async () => {
    setResult(null);
    try {
      const incident =
        target === 'new'
          ? await incidentActions.open({
              title: `Isolate ${pipeCode}`,
              description: note,
              priority: 'high',
              alertIds: [],
              assetId: plan.pipeId,
            })
          : await incidentActions.addNote(target, note);
      if (tenantId) applyIncident(queryClient, tenantId, incident);
      setResult({ ok: true, text: `Attached to incident #${String(incident.number)}` });
    } catch (error) {
      setResult({ ok: false, text: describeError(error) });
    }
  };

  return (
    <div className="isolation-plan__attach">
      <label>
        Attach to{' '}
        <select
          aria-label="Incident to attach the plan to"
          value={target}
          onChange={(event) => {
            setTarget(event.target.value);
          }}
        >
          {can(role, 'incident:create') ? <option value="new">a new incident</option> : null}
          {open.map((incident) => (
            <option key={incident.id} value={incident.id}>
              #{incident.number} {incident.title}
            </option>
          ))}
        </select>
      </label>{' '}
      <button type="button" onClick={() => void attach()}>
        Attach plan
      </button>
      {result ? (
        <p
          role={result.ok ? 'status' : 'alert'}
          className={result.ok ? 'notice' : 'notice notice--error'}
          data-testid="isolation-attached"
        >
          {result.text}
        </p>
      ) : null}
    </div>
  );
}

/** An isolation plan: the valves to close, what they shut in, and who loses supply. */
export function IsolationPlanPanel({ plan, role }: { plan: IsolationPlan; role: Role }) {
  const pipeCode = plan.section.pipes.find((pipe) => pipe.id === plan.pipeId)?.code ?? 'the pipe';
  return (
    <section
      className="isolation-plan"
      aria-label="Isolation plan"
      data-testid="isolation-plan"
      data-pipe-id={plan.pipeId}
    >
      <p>
        To isolate <strong>{pipeCode}</strong> close{' '}
        <strong data-testid="isolation-valve-count">{plan.valves.length}</strong> valves
      </p>
      {plan.isolated ? null : (
        <p role="alert" className="notice notice--error" data-testid="isolation-unvalved">
          No valve stands between the pipe and {plan.unvalvedSources.map((source) => source.code).join(', ')}:
          the valves alone cannot isolate it.
        </p>
      )}
      <AssetLinks items={plan.valves} label="Valves to close" testId="isolation-valves" />
      <p>
        Shut in: <strong>{plan.section.pipes.length}</strong> pipes,{' '}
        <strong>{plan.section.assets.length}</strong> assets. Lose supply:{' '}
        <strong data-testid="isolation-lost-count">{plan.lostSupply.assets.length}</strong> assets,{' '}
        <strong>{plan.lostSupply.pipes.length}</strong> pipes.{' '}
        <strong data-testid="isolation-connections">{plan.connectionsAffected}</strong> service connections
        affected.
      </p>
      <AssetLinks
        items={[...plan.section.assets, ...plan.lostSupply.assets]}
        label="Assets without supply"
        testId="isolation-assets"
      />
      {plan.hiddenOutsideZones > 0 ? (
        <p className="muted">{plan.hiddenOutsideZones} more lie outside your zones.</p>
      ) : null}
      <AttachToIncident plan={plan} pipeCode={pipeCode} role={role} />
    </section>
  );
}
