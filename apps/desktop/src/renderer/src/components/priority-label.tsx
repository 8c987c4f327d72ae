import type { AlertPriority, AlertState } from '@tidewatch/shared';

/** Each priority has a colour, a shape and a word, so no operator depends on telling colours apart. */
export const priorityStyle: Readonly<Record<AlertPriority, { icon: string; label: string }>> = {
  critical: { icon: '◆', label: 'Critical' },
  high: { icon: '▲', label: 'High' },
  medium: { icon: '●', label: 'Medium' },
  low: { icon: '▼', label: 'Low' },
};

export function PriorityLabel({ priority, compact = false }: { priority: AlertPriority; compact?: boolean }) {
  const { icon, label } = priorityStyle[priority];
  return (
    <span className={`priority priority--${priority}`} title={label}>
      <span aria-hidden="true" className="priority__icon">
        {icon}
      </span>
      {compact ? null : <span className="priority__label">{label}</span>}
    </span>
  );
}

export const stateLabels: Readonly<Record<AlertState, string>> = {
  active_unacknowledged: 'Unacknowledged',
  returned_unacknowledged: 'Returned, unack.',
  active_acknowledged: 'Acknowledged',
  shelved: 'Shelved',
  suppressed: 'Suppressed',
  out_of_service: 'Out of service',
  normal: 'Normal',
};

/** The alarm state: unacknowledged blinks, returned-unacknowledged is hollow and steady. */
export function StateBadge({ state }: { state: AlertState }) {
  return <span className={`state state--${state.replaceAll('_', '-')}`}>{stateLabels[state]}</span>;
}
