import type { OpcuaBindingState, OpcuaSecurityMode, OpcuaSecurityPolicy } from '@tidewatch/shared';
import type pg from 'pg';

/** A monitored item as the connector subscribes to it. */
export interface ItemMapping {
  readonly itemId: string;
  readonly nodeId: string;
  readonly seriesId: number;
  readonly metricKey: string;
  readonly samplingIntervalMs: number;
  readonly deadbandType: 'none' | 'absolute' | 'percent';
  readonly deadbandValue: number;
  readonly scale: number;
  readonly offset: number;
}

export interface CommandMapping {
  readonly command: string;
  readonly kind: 'write' | 'call';
  readonly nodeId: string;
  readonly objectNodeId: string | null;
}

/** A binding this instance holds, with everything its session needs. */
export interface ClaimedBinding {
  readonly bindingId: string;
  readonly tenantId: string;
  readonly deviceId: string;
  readonly claimToken: string;
  readonly endpointUrl: string;
  readonly securityPolicy: OpcuaSecurityPolicy;
  readonly securityMode: OpcuaSecurityMode;
  readonly username: string | null;
  /** Sealed, bound to the device. */
  readonly password: string | null;
  readonly publishingIntervalMs: number;
  readonly items: readonly ItemMapping[];
  readonly commands: readonly CommandMapping[];
}

interface ClaimRow {
  binding_id: string;
  tenant_id: string;
  device_id: string;
  claim_token: string;
  endpoint_url: string;
  security_policy: OpcuaSecurityPolicy;
  security_mode: OpcuaSecurityMode;
  username: string | null;
  password: string | null;
  publishing_interval_ms: number;
  items: ItemMapping[] | null;
  commands: CommandMapping[];
}

/** What a session reports of itself; absent fields leave the stored ones as they are. */
export interface SessionReport {
  readonly state: OpcuaBindingState;
  readonly error?: string;
  /** Epoch ms: source time of the newest value stored. */
  readonly lastReadAt?: number;
  readonly failures: number;
  readonly thumbprint?: string;
}

export interface PendingCommand {
  readonly tenantId: string;
  readonly id: string;
  readonly deviceId: string;
  readonly command: string;
  readonly params: Record<string, unknown>;
  readonly claimToken: string;
}

/**
 * The connector's side of opcua_bindings, through SECURITY DEFINER functions: it serves every tenant, so it
 * works outside a tenant context, and each function touches binding rows only. A binding is held under a lease
 * the holder renews; a binding saved again, disabled or deleted loses its claim, and its holder lets it go.
 */
export class BindingLeases {
  constructor(
    private readonly pool: pg.Pool,
    /** Names this instance in `claimed_by`, for people reading the table. */
    private readonly instance: string,
  ) {}

  async claim(limit: number, leaseMs: number): Promise<ClaimedBinding[]> {
    const { rows } = await this.pool.query<ClaimRow>({
      name: 'opcua-claim',
      text: 'SELECT * FROM opcua_claim_bindings($1, $2, $3)',
      values: [this.instance, limit, leaseMs],
    });
    return rows.map((row) => ({
      bindingId: row.binding_id,
      tenantId: row.tenant_id,
      deviceId: row.device_id,
      claimToken: row.claim_token,
      endpointUrl: row.endpoint_url,
      securityPolicy: row.security_policy,
      securityMode: row.security_mode,
      username: row.username,
      password: row.password,
      publishingIntervalMs: row.publishing_interval_ms,
      items: row.items ?? [],
      commands: row.commands,
    }));
  }

  /** Renews the leases of `tokens` and answers those still held. */
  async renew(tokens: readonly string[], leaseMs: number): Promise<Set<string>> {
    if (tokens.length === 0) return new Set();
    const { rows } = await this.pool.query<{ token: string }>({
      name: 'opcua-renew',
      text: 'SELECT opcua_renew_claims AS token FROM opcua_renew_claims($1::uuid[], $2)',
      values: [tokens, leaseMs],
    });
    return new Set(rows.map((row) => row.token));
  }

  async release(tokens: readonly string[]): Promise<void> {
    if (tokens.length === 0) return;
    await this.pool.query('SELECT opcua_release_claims($1::uuid[])', [tokens]);
  }

  /** False when the claim is gone. */
  async report(claimToken: string, report: SessionReport): Promise<boolean> {
    const { rows } = await this.pool.query<{ recorded: boolean }>({
      name: 'opcua-report',
      text: 'SELECT opcua_record_state($1, $2, $3, $4, $5, $6) AS recorded',
      values: [
        claimToken,
        report.state,
        report.error ?? null,
        report.lastReadAt === undefined ? null : new Date(report.lastReadAt),
        report.failures,
        report.thumbprint ?? null,
      ],
    });
    return rows[0]?.recorded ?? false;
  }

  async pendingCommands(tokens: readonly string[], limit: number): Promise<PendingCommand[]> {
    if (tokens.length === 0) return [];
    const { rows } = await this.pool.query<{
      tenant_id: string;
      id: string;
      device_id: string;
      command: string;
      params: Record<string, unknown>;
      claim_token: string;
    }>({
      name: 'opcua-commands-pending',
      text: 'SELECT * FROM opcua_commands_pending($1::uuid[], $2)',
      values: [tokens, limit],
    });
    return rows.map((row) => ({
      tenantId: row.tenant_id,
      id: row.id,
      deviceId: row.device_id,
      command: row.command,
      params: row.params,
      claimToken: row.claim_token,
    }));
  }
}
