import type pg from 'pg';

/** An application this instance holds: its lease runs while renewed. */
export interface ApplicationClaim {
  readonly applicationId: string;
  readonly tenantId: string;
  readonly claimToken: string;
  readonly configVersion: number;
  readonly devicesVersion: number;
}

export interface RenewedClaim {
  readonly applicationId: string;
  readonly claimToken: string;
  readonly configVersion: number;
  readonly devicesVersion: number;
}

interface ClaimRow {
  id: string;
  tenant_id: string;
  claim_token: string;
  config_version: number;
  devices_version: number;
}

/**
 * The connector's side of the leases in lorawan_applications, through SECURITY DEFINER functions: it serves
 * every tenant, so it claims outside any tenant context, and each function touches only the leases.
 */
export class ApplicationClaims {
  constructor(
    private readonly pool: pg.Pool,
    private readonly instanceId: string,
  ) {}

  async claimFree(limit: number, leaseMs: number): Promise<ApplicationClaim[]> {
    const { rows } = await this.pool.query<ClaimRow>('SELECT * FROM lorawan_claim_applications($1, $2, $3)', [
      this.instanceId,
      limit,
      leaseMs,
    ]);
    return rows.map((row) => ({
      applicationId: row.id,
      tenantId: row.tenant_id,
      claimToken: row.claim_token,
      configVersion: row.config_version,
      devicesVersion: row.devices_version,
    }));
  }

  /** The holdings still this instance's, leases extended; those missing were lost. */
  async renew(tokens: readonly string[], leaseMs: number): Promise<RenewedClaim[]> {
    if (tokens.length === 0) return [];
    const { rows } = await this.pool.query<Omit<ClaimRow, 'tenant_id'>>(
      'SELECT * FROM lorawan_renew_applications($1, $2::uuid[], $3)',
      [this.instanceId, tokens, leaseMs],
    );
    return rows.map((row) => ({
      applicationId: row.id,
      claimToken: row.claim_token,
      configVersion: row.config_version,
      devicesVersion: row.devices_version,
    }));
  }

  async release(claimToken: string): Promise<void> {
    await this.pool.query('SELECT lorawan_release_application($1)', [claimToken]);
  }
}
