import { withTenantClient } from '@tidewatch/db';
import type { AlertChanges, AlertEvent } from '@tidewatch/shared';
import type pg from 'pg';
import { alertChangesJson } from '../alert-engine/alert-kpis.ts';
import type { SocketSession } from './socket-session.ts';

/** Changes replayed to a reconnecting client at most; beyond, it is told to reload. */
export const MAX_REPLAYED_CHANGES = 2000;
const PAGE = 500;

/** The alert changes after `after` that the session may see, one page, as GET /alerts/changes answers. */
export async function alertChangesAfter(
  pool: pg.Pool,
  session: SocketSession,
  after: number,
  limit: number,
): Promise<AlertChanges> {
  const json = await withTenantClient(pool, session.dbContext(), (client) =>
    alertChangesJson(client, after, limit, session.zones),
  );
  return JSON.parse(json) as AlertChanges;
}

export interface Replay {
  /** The changes to send, oldest first. */
  readonly events: AlertEvent[];
  /** The sequence the client is up to date with once it has them. */
  readonly sequence: number;
  /** Too much was missed, or the client's sequence is unknown here: it reloads over REST. */
  readonly reload: boolean;
}

/**
 * What a client that was up to date with `after` missed. Without `after` (a first connection), nothing: the
 * client loads the list over REST and follows from the current sequence.
 */
export async function missedAlertChanges(
  pool: pg.Pool,
  session: SocketSession,
  after: number | undefined,
): Promise<Replay> {
  return withTenantClient(pool, session.dbContext(), async (client) => {
    const { rows } = await client.query<{ sequence: string }>({
      name: 'realtime-alert-sequence',
      text: `SELECT coalesce((SELECT last_sequence FROM alert_sequences WHERE tenant_id = app_tenant_id()), 0) AS sequence`,
    });
    const current = Number(rows[0]?.sequence ?? 0);
    if (after === undefined || after === current) return { events: [], sequence: current, reload: false };
    // Ahead of this database (restored backup, another deployment): the client's state cannot be trusted.
    if (after > current) return { events: [], sequence: current, reload: true };
    const events: AlertEvent[] = [];
    let cursor = after;
    for (let read = 0; read < MAX_REPLAYED_CHANGES; read += PAGE) {
      const page = JSON.parse(await alertChangesJson(client, cursor, PAGE, session.zones)) as AlertChanges;
      events.push(...page.items);
      cursor = page.lastSequence;
      if (!page.more) return { events, sequence: cursor, reload: false };
    }
    return { events: [], sequence: current, reload: true };
  });
}
