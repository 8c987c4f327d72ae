import { withTenantClient } from '@tidewatch/db';
import type pg from 'pg';
import type { Logger } from '../../logger.ts';
import { SecretBox, type SecretContext } from './secret-box.ts';

/** A webhook rule's signing secret, bound to its rule. */
export const webhookSecretContext = (tenantId: string, ruleId: string): SecretContext => ({
  purpose: 'notification_rules.webhook_secret',
  tenantId,
  id: ruleId,
});

/** A ThingSpeak read key, bound to the device its binding belongs to (one binding per device). */
export const readKeyContext = (tenantId: string, deviceId: string): SecretContext => ({
  purpose: 'thingspeak_bindings.read_api_key',
  tenantId,
  id: deviceId,
});

/** An OPC UA binding's user password, bound to the device its binding belongs to (one binding per device). */
export const opcuaPasswordContext = (tenantId: string, deviceId: string): SecretContext => ({
  purpose: 'opcua_bindings.password',
  tenantId,
  id: deviceId,
});

/** The private key of a tenant's OPC UA client certificate, bound to the tenant (one per tenant). */
export const opcuaClientKeyContext = (tenantId: string, rowTenantId: string): SecretContext => ({
  purpose: 'opcua_client_certificates.private_key',
  tenantId,
  id: rowTenantId,
});

/** The password of a LoRaWAN network server's broker, bound to the application binding. */
export const lorawanPasswordContext = (tenantId: string, applicationId: string): SecretContext => ({
  purpose: 'lorawan_applications.password',
  tenantId,
  id: applicationId,
});

/** A user's TOTP secret, bound to the user (a platform admin's has no tenant). */
export const totpSecretContext = (tenantId: string | null, userId: string): SecretContext => ({
  purpose: 'user_totp.secret_sealed',
  tenantId,
  id: userId,
});

/** The key that signs access tokens, shared by every instance. */
export const signingKeyContext: SecretContext = {
  purpose: 'platform_secrets.access_token_key',
  tenantId: null,
  id: 'access_token_key',
};

/** Every tenant column that holds a sealed secret, and the row key its context binds to. */
const SEALED_COLUMNS = [
  { table: 'notification_rules', column: 'webhook_secret', key: 'id', context: webhookSecretContext },
  { table: 'thingspeak_bindings', column: 'read_api_key', key: 'device_id', context: readKeyContext },
  { table: 'user_totp', column: 'secret_sealed', key: 'user_id', context: totpSecretContext },
  { table: 'opcua_bindings', column: 'password', key: 'device_id', context: opcuaPasswordContext },
  {
    table: 'opcua_client_certificates',
    column: 'private_key',
    key: 'tenant_id',
    context: opcuaClientKeyContext,
  },
  { table: 'lorawan_applications', column: 'password', key: 'id', context: lorawanPasswordContext },
] as const;

export interface SealCounts {
  /** Plaintext an older release stored, now sealed. */
  sealed: number;
  /** Sealed under a data key that is no longer the active one, now sealed under the active one. */
  resealed: number;
  /** Sealed values that do not open (changed, or moved from another row): left as they are. */
  unreadable: number;
}

/**
 * Brings every stored secret under the active data key: plaintext an older release stored is sealed, and what
 * was sealed under an older data key (after `secrets:rotate --new-data-key`) is sealed again. Tenant by tenant,
 * each in one transaction under the tenant's row-level security, each row replaced only if it still holds what
 * was read, so several instances may run it at once and an interrupted run is finished by the next.
 */
export async function sealStoredSecrets(pool: pg.Pool, box: SecretBox, log: Logger): Promise<SealCounts> {
  const counts: SealCounts = { sealed: 0, resealed: 0, unreadable: 0 };
  const { rows: tenants } = await pool.query<{ id: string }>('SELECT secret_tenants() AS id');
  const current = `tw1.${box.activeDataKey}.`;
  for (const { id: tenantId } of tenants) {
    await withTenantClient(pool, { tenantId, userId: null, role: null }, async (client) => {
      // Sealing again is not a new read key: the ThingSpeak binding keeps its back-off and circuit.
      await client.query("SELECT set_config('app.sealing_secrets', 'on', true)");
      for (const { table, column, key, context } of SEALED_COLUMNS) {
        const { rows } = await client.query<{ id: string; value: string }>(
          `SELECT ${key}::text AS id, ${column} AS value FROM ${table}
            WHERE tenant_id = $1 AND ${column} IS NOT NULL AND NOT starts_with(${column}, $2)`,
          [tenantId, current],
        );
        for (const row of rows) {
          const where = context(tenantId, row.id);
          const wasSealed = SecretBox.isSealed(row.value);
          let plaintext: Buffer;
          try {
            plaintext = wasSealed ? await box.open(row.value, where) : Buffer.from(row.value, 'utf8');
          } catch (error) {
            counts.unreadable += 1;
            log.error({ err: error, table, id: row.id }, 'a stored secret does not open; left as it is');
            continue;
          }
          const { rowCount } = await client.query(
            `UPDATE ${table} SET ${column} = $3 WHERE tenant_id = $1 AND ${key} = $2 AND ${column} = $4`,
            [tenantId, row.id, box.seal(plaintext, where), row.value],
          );
          if (rowCount === 1) counts[wasSealed ? 'resealed' : 'sealed'] += 1;
        }
      }
    });
  }
  return counts;
}
