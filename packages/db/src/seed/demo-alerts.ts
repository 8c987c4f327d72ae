import type { AlertState } from '@tidewatch/shared';
import type { DemoRule } from './demo-rules.ts';
import type { Episode } from './episodes.ts';
import type { Random } from './random.ts';

export interface DemoTransition {
  readonly from: AlertState;
  readonly to: AlertState;
  readonly at: number;
  readonly userId: string | null;
  readonly comment: string | null;
  readonly value: number | null;
}

export interface DemoAlertLifecycle {
  readonly state: AlertState;
  readonly conditionActive: boolean;
  readonly acknowledgedAt: number | null;
  readonly acknowledgedBy: string | null;
  readonly returnedAt: number | null;
  readonly shelvedUntil: number | null;
  readonly shelvedBy: string | null;
  readonly shelveReason: string | null;
  readonly escalatedAt: number | null;
  readonly closedAt: number | null;
  readonly transitions: readonly DemoTransition[];
}

export interface LifecycleInput {
  readonly rule: DemoRule;
  readonly episode: Episode;
  readonly raisedAt: number;
  readonly clearedAt: number | null;
  /** Only the newest episode of a target may stay open. */
  readonly newest: boolean;
  readonly now: number;
  readonly acknowledgers: readonly string[];
  readonly shelve: { readonly by: string; readonly until: number; readonly reason: string } | null;
  readonly acknowledgeOpen: boolean;
  /** The shift missed it: it cleared by itself and still waits for an acknowledgement. */
  readonly missed: boolean;
}

const ackComments = [
  'Checked on SCADA, crew informed.',
  'Known issue, field team on site.',
  null,
  'Called the area engineer.',
  null,
  'Confirmed with the pump house operator.',
];

/** Decides how a past alert was handled, the way a shift would have: acknowledged within minutes. */
export function demoLifecycle(input: LifecycleInput, random: Random): DemoAlertLifecycle {
  const { rule, episode, raisedAt, clearedAt, now } = input;
  const critical = rule.priority === 'critical';
  const ackDelay = (critical ? random.between(1, 5) : random.between(3, 25)) * 60_000;
  const acknowledger = random.pick(input.acknowledgers);
  const comment = random.pick(ackComments);
  const raised: DemoTransition = {
    from: 'normal',
    to: 'active_unacknowledged',
    at: raisedAt,
    userId: null,
    comment: null,
    value: Number.isNaN(episode.raisedValue) ? null : episode.raisedValue,
  };
  const lastValue = Number.isNaN(episode.lastValue) ? null : episode.lastValue;
  const escalatedAt =
    rule.escalateAfterS !== null && raisedAt + rule.escalateAfterS * 1000 < Math.min(raisedAt + ackDelay, now)
      ? raisedAt + rule.escalateAfterS * 1000
      : null;
  const base = {
    returnedAt: null,
    shelvedUntil: null,
    shelvedBy: null,
    shelveReason: null,
    escalatedAt,
    closedAt: null,
  };

  if (clearedAt === null) {
    if (input.shelve) {
      return {
        ...base,
        state: 'shelved',
        conditionActive: true,
        acknowledgedAt: null,
        acknowledgedBy: null,
        shelvedUntil: input.shelve.until,
        shelvedBy: input.shelve.by,
        shelveReason: input.shelve.reason,
        escalatedAt: null,
        transitions: [
          raised,
          {
            from: 'active_unacknowledged',
            to: 'shelved',
            at: raisedAt + 8 * 60_000,
            userId: input.shelve.by,
            comment: input.shelve.reason,
            value: null,
          },
        ],
      };
    }
    if (input.acknowledgeOpen && raisedAt + ackDelay < now) {
      return {
        ...base,
        state: 'active_acknowledged',
        conditionActive: true,
        acknowledgedAt: raisedAt + ackDelay,
        acknowledgedBy: acknowledger,
        escalatedAt: null,
        transitions: [
          raised,
          {
            from: 'active_unacknowledged',
            to: 'active_acknowledged',
            at: raisedAt + ackDelay,
            userId: acknowledger,
            comment,
            value: null,
          },
        ],
      };
    }
    return {
      ...base,
      state: 'active_unacknowledged',
      conditionActive: true,
      acknowledgedAt: null,
      acknowledgedBy: null,
      transitions: [raised],
    };
  }

  const returned: DemoTransition = {
    from: 'active_unacknowledged',
    to: 'returned_unacknowledged',
    at: clearedAt,
    userId: null,
    comment: null,
    value: lastValue,
  };
  // A recent, non-critical alert that cleared by itself is still waiting for someone to acknowledge it.
  const recentlyReturned = now - clearedAt < 3 * 3_600_000 && raisedAt + ackDelay > clearedAt;
  if (input.newest && !critical && (input.missed || recentlyReturned)) {
    return {
      ...base,
      state: 'returned_unacknowledged',
      conditionActive: false,
      acknowledgedAt: null,
      acknowledgedBy: null,
      returnedAt: clearedAt,
      transitions: [raised, returned],
    };
  }
  const ackAt = raisedAt + ackDelay;
  if (ackAt < clearedAt) {
    return {
      ...base,
      state: 'normal',
      conditionActive: false,
      acknowledgedAt: ackAt,
      acknowledgedBy: acknowledger,
      closedAt: clearedAt,
      transitions: [
        raised,
        {
          from: 'active_unacknowledged',
          to: 'active_acknowledged',
          at: ackAt,
          userId: acknowledger,
          comment,
          value: null,
        },
        {
          from: 'active_acknowledged',
          to: 'normal',
          at: clearedAt,
          userId: null,
          comment: null,
          value: lastValue,
        },
      ],
    };
  }
  return {
    ...base,
    state: 'normal',
    conditionActive: false,
    acknowledgedAt: ackAt,
    acknowledgedBy: acknowledger,
    returnedAt: clearedAt,
    closedAt: ackAt,
    transitions: [
      raised,
      returned,
      {
        from: 'returned_unacknowledged',
        to: 'normal',
        at: ackAt,
        userId: acknowledger,
        comment,
        value: null,
      },
    ],
  };
}
