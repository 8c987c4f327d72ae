import type pg from 'pg';
import type { FieldMapping } from './feed-readings.ts';
import type { FailureDecision } from './retry-policy.ts';

/** A channel this instance holds for one poll, with what the poll needs to know. */
export interface ClaimedBinding {
  readonly bindingId: string;
  readonly tenantId: string;
  readonly deviceId: string;
  readonly channelId: number;
  /** Sealed, bound to the device. */
  readonly readKey: string | null;
  readonly lastEntryId: number | null;
  /** Epoch ms of lastEntryId's entry. */
  readonly lastEntryAt: number | null;
  readonly consecutiveFailures: number;
  readonly claimToken: string;
  readonly fields: readonly FieldMapping[];
}

interface ClaimRow {
  binding_id: string;
  tenant_id: string;
  device_id: string;
  channel_id: string;
  read_api_key: string | null;
  last_entry_id: string | null;
  last_entry_at: Date | null;
  consecutive_failures: number;
  claim_token: string;
  fields: FieldMapping[] | null;
}

/**
 * The poller's side of thingspeak_bindings, through SECURITY DEFINER functions: it serves every tenant, so it
 * works outside a tenant context, and each function touches only the binding row it names. A result is
 * recorded only under the claim it belongs to; one whose lease ran out is dropped (false).
 */
export class BindingClaims {
  constructor(private readonly pool: pg.Pool) {}

  /** Up to `limit` channels that are due, each held for `leaseMs` unless its result comes first. */
  async claimDue(limit: number, leaseMs: number): Promise<ClaimedBinding[]> {
    const { rows } = await this.pool.query<ClaimRow>({
      name: 'thingspeak-claim-due',
      text: 'SELECT * FROM thingspeak_claim_due($1, $2)',
      values: [limit, leaseMs],
    });
    return rows.map((row) => ({
      bindingId: row.binding_id,
      tenantId: row.tenant_id,
      deviceId: row.device_id,
      channelId: Number(row.channel_id),
      readKey: row.read_api_key,
      lastEntryId: row.last_entry_id === null ? null : Number(row.last_entry_id),
      lastEntryAt: row.last_entry_at?.getTime() ?? null,
      consecutiveFailures: row.consecutive_failures,
      claimToken: row.claim_token,
      fields: row.fields ?? [],
    }));
  }

  async succeeded(
    claim: ClaimedBinding,
    newest: { readonly entryId: number; readonly createdAt: number } | null,
  ): Promise<boolean> {
    const { rows } = await this.pool.query<{ recorded: boolean }>({
      name: 'thingspeak-poll-succeeded',
      text: 'SELECT thingspeak_poll_succeeded($1, $2, $3, $4) AS recorded',
      values: [
        claim.bindingId,
        claim.claimToken,
        newest?.entryId ?? null,
        newest === null ? null : new Date(newest.createdAt),
      ],
    });
    return rows[0]?.recorded ?? false;
  }

  async failed(claim: ClaimedBinding, error: string, decision: FailureDecision): Promise<boolean> {
    const { rows } = await this.pool.query<{ recorded: boolean }>({
      name: 'thingspeak-poll-failed',
      text: 'SELECT thingspeak_poll_failed($1, $2, $3, $4, $5, $6) AS recorded',
      values: [
        claim.bindingId,
        claim.claimToken,
        error,
        decision.failures,
        decision.retryInMs,
        decision.circuitOpenMs,
      ],
    });
    return rows[0]?.recorded ?? false;
  }

  async openCircuits(): Promise<number> {
    const { rows } = await this.pool.query<{ open: number }>('SELECT thingspeak_open_circuits() AS open');
    return rows[0]?.open ?? 0;
  }
}
