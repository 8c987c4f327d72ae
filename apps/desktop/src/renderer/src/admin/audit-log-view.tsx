import type { AuditEntry, User } from '@tidewatch/shared';
import { Fragment, useState } from 'react';
import { formatDateTime } from '../components/format.ts';
import { useAuditLog, useDevices, useUsers, type AuditFilters } from './admin-queries.ts';
import {
  auditActionLabel,
  auditActionLabels,
  auditResourceLabel,
  auditResourceLabels,
} from './audit-labels.ts';
import { ProblemNotice } from './problem-notice.tsx';

/** The filter form as typed: local date-times and free text, turned into the API's filters on "Apply". */
interface FilterDraft {
  readonly from: string;
  readonly to: string;
  readonly actorId: string;
  readonly action: string;
  readonly resourceType: string;
  readonly resourceId: string;
}

const noFilters: FilterDraft = {
  from: '',
  to: '',
  actorId: '',
  action: '',
  resourceType: '',
  resourceId: '',
};

const auditFieldLabels = {
  from: 'From',
  to: 'To',
  actorId: 'Actor',
  action: 'Action',
  resourceType: 'Entity type',
  resourceId: 'Entity id',
};

/** A `datetime-local` value (the admin's own clock) as an ISO instant, or nothing when empty or unreadable. */
function instant(local: string): string | undefined {
  if (local === '') return undefined;
  const at = new Date(local);
  return Number.isNaN(at.getTime()) ? undefined : at.toISOString();
}

export function toAuditFilters(draft: FilterDraft): AuditFilters {
  const filters: Record<string, string> = {};
  const set = (key: keyof AuditFilters, value: string | undefined) => {
    if (value !== undefined && value.trim() !== '') filters[key] = value.trim();
  };
  set('from', instant(draft.from));
  set('to', instant(draft.to));
  set('actorId', draft.actorId);
  set('action', draft.action);
  set('resourceType', draft.resourceType);
  set('resourceId', draft.resourceId);
  return filters;
}

const byLabel = (labels: Readonly<Record<string, string>>) =>
  Object.entries(labels).sort(([, a], [, b]) => a.localeCompare(b));

function FilterForm({
  users,
  draft,
  onDraft,
  onApply,
}: {
  users: readonly User[];
  draft: FilterDraft;
  onDraft: (draft: FilterDraft) => void;
  onApply: (draft: FilterDraft) => void;
}) {
  const field = (key: keyof FilterDraft) => ({
    value: draft[key],
    onChange: (event: { target: { value: string } }) => {
      onDraft({ ...draft, [key]: event.target.value });
    },
  });
  return (
    <form
      className="admin__form admin__filters"
      aria-label="Audit log filters"
      onSubmit={(event) => {
        event.preventDefault();
        onApply(draft);
      }}
    >
      <label>
        From <input type="datetime-local" step={1} {...field('from')} />
      </label>
      <label>
        To <input type="datetime-local" step={1} {...field('to')} />
      </label>
      <label>
        Actor{' '}
        <select {...field('actorId')}>
          <option value="">Anyone</option>
          {users.map((user) => (
            <option key={user.id} value={user.id}>
              {user.displayName} ({user.email})
            </option>
          ))}
        </select>
      </label>
      <label>
        Action{' '}
        <select {...field('action')}>
          <option value="">Any action</option>
          {byLabel(auditActionLabels).map(([action, label]) => (
            <option key={action} value={action}>
              {label}
            </option>
          ))}
        </select>
      </label>
      <label>
        Entity type{' '}
        <select {...field('resourceType')}>
          <option value="">Any</option>
          {byLabel(auditResourceLabels).map(([type, label]) => (
            <option key={type} value={type}>
              {label}
            </option>
          ))}
        </select>
      </label>
      <label>
        Entity id <input maxLength={200} placeholder="any" {...field('resourceId')} />
      </label>
      <button type="submit" className="button button--primary">
        Apply filters
      </button>
      <button
        type="button"
        className="button"
        onClick={() => {
          onDraft(noFilters);
          onApply(noFilters);
        }}
      >
        Clear
      </button>
    </form>
  );
}

/** The recorded details of an entry (the change, the previous values, the request's payload), as JSON. */
function EntryDetails({ entry, onHistory }: { entry: AuditEntry; onHistory: () => void }) {
  return (
    <div className="admin__entry" data-testid="audit-entry-details">
      <dl>
        <dt>Action code</dt>
        <dd>
          <code>{entry.action}</code>
        </dd>
        {entry.resourceId ? (
          <>
            <dt>Entity</dt>
            <dd>
              <code>
                {entry.resourceType} {entry.resourceId}
              </code>{' '}
              <button type="button" className="button button--quiet" onClick={onHistory}>
                Show this entity’s history
              </button>
            </dd>
          </>
        ) : null}
        <dt>Request</dt>
        <dd>
          <code>{entry.requestId ?? '—'}</code>
        </dd>
        <dt>From</dt>
        <dd>
          {entry.ip ?? '—'} {entry.userAgent ? <span className="admin__muted">{entry.userAgent}</span> : null}
        </dd>
      </dl>
      <pre className="admin__json">{JSON.stringify(entry.details, null, 2)}</pre>
    </div>
  );
}

function actorName(
  entry: AuditEntry,
  users: ReadonlyMap<string, User>,
  devices: ReadonlyMap<string, string>,
) {
  if (entry.actorType === 'system') return 'System';
  if (entry.actorId === null) return entry.actorType === 'device' ? 'A device' : 'Unknown user';
  if (entry.actorType === 'device') return `Device ${devices.get(entry.actorId) ?? entry.actorId}`;
  const user = users.get(entry.actorId);
  // Platform admins act in a tenant without belonging to it.
  return user ? user.displayName : `Platform admin ${entry.actorId.slice(0, 8)}`;
}

function entityName(entry: AuditEntry, users: ReadonlyMap<string, User>) {
  const type = auditResourceLabel(entry.resourceType);
  if (entry.resourceId === null) return type;
  const user = entry.resourceType === 'user' ? users.get(entry.resourceId) : undefined;
  return `${type} ${user ? user.email : entry.resourceId.slice(0, 8)}`;
}

/**
 * The tenant's audit log, newest first: filter by time, actor, action and entity, page on with "Load more",
 * open an entry to read what it recorded.
 */
export function AuditLogView({ tenantId }: { tenantId: string }) {
  const [draft, setDraft] = useState<FilterDraft>(noFilters);
  const [filters, setFilters] = useState<AuditFilters>({});
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const log = useAuditLog(tenantId, filters);
  const users = useUsers(tenantId);
  const devices = useDevices(tenantId);
  const usersById = new Map((users.data ?? []).map((user) => [user.id, user]));
  const deviceNames = new Map((devices.data ?? []).map((device) => [device.id, device.name]));
  const entries = log.data?.pages.flatMap((page) => page.items) ?? [];
  const apply = (next: FilterDraft) => {
    setOpen(new Set());
    setFilters(toAuditFilters(next));
  };

  return (
    <section className="admin__section" aria-labelledby="audit-heading">
      <h2 id="audit-heading">Audit log</h2>
      <FilterForm
        users={[...(users.data ?? [])].sort((a, b) => a.displayName.localeCompare(b.displayName))}
        draft={draft}
        onDraft={setDraft}
        onApply={apply}
      />
      {log.error ? (
        <ProblemNotice error={log.error} fieldLabels={auditFieldLabels} testId="audit-error" />
      ) : null}
      <table className="admin__table" aria-label="Audit log" data-testid="audit-log">
        <thead>
          <tr>
            <th>Time</th>
            <th>Actor</th>
            <th>Action</th>
            <th>Entity</th>
            <th>Outcome</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {entries.map((entry) => {
            const expanded = open.has(entry.id);
            return (
              <Fragment key={entry.id}>
                <tr data-audit-id={entry.id} data-action={entry.action} data-outcome={entry.outcome}>
                  <td title={entry.at}>{formatDateTime(entry.at)}</td>
                  <td>{actorName(entry, usersById, deviceNames)}</td>
                  <td title={entry.action}>{auditActionLabel(entry.action)}</td>
                  <td>{entityName(entry, usersById)}</td>
                  <td className={`admin__outcome admin__outcome--${entry.outcome}`}>{entry.outcome}</td>
                  <td>
                    <button
                      type="button"
                      className="button button--quiet"
                      aria-expanded={expanded}
                      onClick={() => {
                        const next = new Set(open);
                        if (expanded) next.delete(entry.id);
                        else next.add(entry.id);
                        setOpen(next);
                      }}
                    >
                      {expanded ? 'Hide details' : 'Details'}
                    </button>
                  </td>
                </tr>
                {expanded ? (
                  <tr className="admin__entry-row">
                    <td colSpan={6}>
                      <EntryDetails
                        entry={entry}
                        onHistory={() => {
                          const next = {
                            ...noFilters,
                            resourceType: entry.resourceType,
                            resourceId: entry.resourceId ?? '',
                          };
                          setDraft(next);
                          apply(next);
                        }}
                      />
                    </td>
                  </tr>
                ) : null}
              </Fragment>
            );
          })}
        </tbody>
      </table>
      {log.isPending ? <p className="admin__muted">Loading the audit log…</p> : null}
      {log.isSuccess && entries.length === 0 ? (
        <p className="admin__muted" data-testid="audit-empty">
          No entries match these filters.
        </p>
      ) : null}
      <div className="admin__paging">
        {log.hasNextPage ? (
          <button
            type="button"
            className="button"
            disabled={log.isFetchingNextPage}
            onClick={() => {
              void log.fetchNextPage();
            }}
          >
            {log.isFetchingNextPage ? 'Loading…' : 'Load more'}
          </button>
        ) : log.isSuccess && entries.length > 0 ? (
          <span className="admin__muted">End of the log for these filters.</span>
        ) : null}{' '}
        <button
          type="button"
          className="button button--quiet"
          disabled={log.isFetching}
          onClick={() => {
            void log.refetch();
          }}
        >
          Refresh
        </button>
        <span className="admin__muted" data-testid="audit-count">
          {entries.length} shown
        </span>
      </div>
    </section>
  );
}
