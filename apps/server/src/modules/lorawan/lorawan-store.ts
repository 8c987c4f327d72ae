import { withTenantClient } from '@tidewatch/db';
import type { LorawanFormat, LorawanUplinkOutcome } from '@tidewatch/shared';
import type pg from 'pg';
import type { PayloadMapping } from './payload-values.ts';

/** A held application's connection settings, as its row holds them. */
export interface ApplicationSettings {
  readonly id: string;
  readonly tenantId: string;
  readonly name: string;
  readonly format: LorawanFormat;
  readonly brokerUrl: string;
  readonly username: string | null;
  /** Sealed, bound to the application. */
  readonly password: string | null;
  readonly networkApplicationId: string;
  readonly configVersion: number;
}

/** A device mapped to the application, by its DevEUI. */
export interface MappedDevice {
  readonly deviceId: string;
  readonly devEui: string;
  readonly networkDeviceId: string | null;
  readonly fPort: number;
  readonly confirmed: boolean;
  readonly disabled: boolean;
  readonly mappings: readonly PayloadMapping[];
}

export interface PendingDownlink {
  readonly id: string;
  readonly deviceId: string;
  readonly command: string;
  readonly params: Record<string, unknown>;
}

export interface UplinkRecord {
  readonly applicationId: string;
  readonly devEui: string;
  readonly deviceId: string | null;
  readonly fCnt: number;
  readonly fPort: number | null;
  readonly time: number;
  readonly payload: unknown;
  readonly outcome: LorawanUplinkOutcome;
  readonly stored: Record<string, number> | null;
}

/** Reported by the holder: what the application's state shows. */
export interface LinkReport {
  readonly connected: boolean;
  readonly error?: string | null;
  readonly failures?: number;
  readonly circuitOpenUntil?: Date | null;
}

/** A decoded payload kept for the preview: larger ones are kept as a note, not whole. */
const MAX_KEPT_PAYLOAD_CHARS = 16_384;

function keptPayload(payload: unknown): string | null {
  if (payload === undefined) return null;
  const text = JSON.stringify(payload);
  // PostgreSQL's jsonb cannot hold U+0000.
  if (text.includes('\\u0000')) return JSON.stringify({ $note: 'payload with U+0000 not kept' });
  if (text.length > MAX_KEPT_PAYLOAD_CHARS) return JSON.stringify({ $note: 'payload too large to keep' });
  return text;
}

/**
 * The connector's reads and writes of one tenant's LoRaWAN rows, each in a transaction under that tenant's
 * row-level security (the connector knows the tenant of every application it holds).
 */
export class LorawanStore {
  constructor(private readonly pool: pg.Pool) {}

  private as<T>(tenantId: string, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return withTenantClient(this.pool, { tenantId, userId: null, role: null }, work);
  }

  async settings(tenantId: string, applicationId: string): Promise<ApplicationSettings | null> {
    return this.as(tenantId, async (client) => {
      const { rows } = await client.query<ApplicationSettings>(
        `SELECT id, tenant_id AS "tenantId", name, format, broker_url AS "brokerUrl", username, password,
                network_application_id AS "networkApplicationId", config_version AS "configVersion"
           FROM lorawan_applications WHERE id = $1`,
        [applicationId],
      );
      return rows[0] ?? null;
    });
  }

  /** The devices mapped in an application (only the one of `devEui`, when given), by DevEUI. */
  async devices(
    tenantId: string,
    applicationId: string,
    devEui?: string,
  ): Promise<Map<string, MappedDevice>> {
    return this.as(tenantId, async (client) => {
      const { rows } = await client.query<MappedDevice>(
        `SELECT l.device_id AS "deviceId", l.dev_eui AS "devEui", l.network_device_id AS "networkDeviceId",
                l.f_port AS "fPort", l.confirmed, d.disabled_at IS NOT NULL AS disabled,
                coalesce((SELECT jsonb_agg(jsonb_build_object('path', m.path, 'seriesId', m.series_id,
                                                              'metricKey', mt.key, 'scale', m.scale,
                                                              'offset', m."offset") ORDER BY m.path)
                            FROM lorawan_metric_mappings m
                            JOIN series s ON s.id = m.series_id
                            JOIN metrics mt ON mt.id = s.metric_id
                           WHERE m.device_id = l.device_id), '[]'::jsonb) AS mappings
           FROM lorawan_devices l JOIN devices d ON d.id = l.device_id
          WHERE l.application_id = $1 AND ($2::text IS NULL OR l.dev_eui = $2)`,
        [applicationId, devEui ?? null],
      );
      return new Map(rows.map((row) => [row.devEui, row]));
    });
  }

  async uplinkSeen(
    tenantId: string,
    applicationId: string,
    devEui: string,
    fCnt: number,
    time: number,
  ): Promise<boolean> {
    return this.as(tenantId, async (client) => {
      const { rows } = await client.query<{ seen: boolean }>({
        name: 'lorawan-uplink-seen',
        text: `SELECT EXISTS (SELECT FROM lorawan_uplinks
                 WHERE application_id = $1 AND dev_eui = $2 AND f_cnt = $3 AND time = $4) AS seen`,
        values: [applicationId, devEui, fCnt, new Date(time)],
      });
      return rows[0]?.seen ?? false;
    });
  }

  /** Records an uplink (once: a second delivery changes nothing) and, for a known device, its frame counter. */
  async recordUplink(tenantId: string, uplink: UplinkRecord): Promise<void> {
    await this.as(tenantId, async (client) => {
      await client.query({
        name: 'lorawan-uplink-record',
        text: `INSERT INTO lorawan_uplinks (tenant_id, application_id, dev_eui, device_id, f_cnt, f_port, time,
                                            payload, outcome, stored)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10::jsonb)
               ON CONFLICT (application_id, dev_eui, f_cnt, time) DO NOTHING`,
        values: [
          tenantId,
          uplink.applicationId,
          uplink.devEui,
          uplink.deviceId,
          uplink.fCnt,
          uplink.fPort,
          new Date(uplink.time),
          keptPayload(uplink.payload),
          uplink.outcome,
          uplink.stored === null ? null : JSON.stringify(uplink.stored),
        ],
      });
      if (uplink.deviceId !== null) {
        await client.query({
          name: 'lorawan-device-uplink',
          text: `UPDATE lorawan_devices SET last_f_cnt = $2, last_uplink_at = $3
                  WHERE device_id = $1 AND (last_uplink_at IS NULL OR last_uplink_at <= $3)`,
          values: [uplink.deviceId, uplink.fCnt, new Date(uplink.time)],
        });
      }
    });
  }

  async recordJoin(tenantId: string, deviceId: string, time: number, devAddr: string | null): Promise<void> {
    await this.as(tenantId, (client) =>
      client.query(
        `UPDATE lorawan_devices SET joined_at = $2, dev_addr = coalesce($3, dev_addr), last_f_cnt = NULL
          WHERE device_id = $1 AND (joined_at IS NULL OR joined_at < $2)`,
        [deviceId, new Date(time), devAddr],
      ),
    );
  }

  async recordStatus(
    tenantId: string,
    deviceId: string,
    status: { time: number; batteryLevel: number | null; externalPower: boolean; margin: number },
  ): Promise<void> {
    await this.as(tenantId, (client) =>
      client.query(
        `UPDATE lorawan_devices SET battery_level = $3, external_power = $4, margin = $5, status_at = $2
          WHERE device_id = $1 AND (status_at IS NULL OR status_at < $2)`,
        [deviceId, new Date(status.time), status.batteryLevel, status.externalPower, status.margin],
      ),
    );
  }

  /** The Things Stack's device id, learned from the device's own messages, for its downlinks. */
  async learnNetworkDeviceId(tenantId: string, deviceId: string, networkDeviceId: string): Promise<void> {
    await this.as(tenantId, (client) =>
      client.query(
        `UPDATE lorawan_devices SET network_device_id = $2
          WHERE device_id = $1 AND network_device_id IS DISTINCT FROM $2`,
        [deviceId, networkDeviceId],
      ),
    );
  }

  /** What the holder reports, recorded only while it still holds the application. */
  async report(
    tenantId: string,
    applicationId: string,
    claimToken: string,
    report: LinkReport,
  ): Promise<void> {
    await this.as(tenantId, (client) =>
      client.query(
        `UPDATE lorawan_applications
            SET connected = $3,
                connected_at = CASE WHEN $3 AND NOT connected THEN now() ELSE connected_at END,
                last_error = CASE WHEN $4::boolean THEN left($5, 500) ELSE last_error END,
                last_error_at = CASE WHEN $4::boolean AND $5 IS NOT NULL THEN now() ELSE last_error_at END,
                consecutive_failures = coalesce($6, consecutive_failures),
                circuit_open_until = CASE WHEN $7::boolean THEN $8 ELSE circuit_open_until END
          WHERE id = $1 AND claim_token = $2`,
        [
          applicationId,
          claimToken,
          report.connected,
          report.error !== undefined,
          report.error ?? null,
          report.failures ?? null,
          report.circuitOpenUntil !== undefined,
          report.circuitOpenUntil ?? null,
        ],
      ),
    );
  }

  async messageReceived(tenantId: string, applicationId: string, claimToken: string): Promise<void> {
    await this.as(tenantId, (client) =>
      client.query(
        'UPDATE lorawan_applications SET last_message_at = now() WHERE id = $1 AND claim_token = $2',
        [applicationId, claimToken],
      ),
    );
  }

  /** Commands waiting for devices of the application, oldest first. */
  async pendingCommands(tenantId: string, applicationId: string, limit: number): Promise<PendingDownlink[]> {
    return this.as(tenantId, async (client) => {
      const { rows } = await client.query<PendingDownlink>(
        `SELECT c.id, c.device_id AS "deviceId", c.command, c.params
           FROM device_commands c JOIN lorawan_devices l ON l.device_id = c.device_id
          WHERE l.application_id = $1 AND c.state = 'pending' AND c.expires_at >= now()
          ORDER BY c.requested_at LIMIT $2`,
        [applicationId, limit],
      );
      return rows;
    });
  }

  /** pending → delivered (the network server has queued it), audited; false when it had moved on already. */
  async commandDelivered(tenantId: string, command: PendingDownlink): Promise<boolean> {
    return this.as(tenantId, async (client) => {
      const updated = await client.query(
        `UPDATE device_commands SET state = 'delivered', delivered_at = now() WHERE id = $1 AND state = 'pending'`,
        [command.id],
      );
      if (updated.rowCount === 0) return false;
      await audit(client, tenantId, 'command.deliver', command.id, {
        deviceId: command.deviceId,
        command: command.command,
        via: 'lorawan',
      });
      return true;
    });
  }

  /** A command that cannot be sent as a downlink at all (bad params): failed at once, audited. */
  async commandUndeliverable(tenantId: string, command: PendingDownlink, reason: string): Promise<boolean> {
    return this.as(tenantId, async (client) => {
      const updated = await client.query(
        `UPDATE device_commands SET state = 'failed', failure_reason = $2
          WHERE id = $1 AND state IN ('pending', 'delivered')`,
        [command.id, reason],
      );
      if (updated.rowCount === 0) return false;
      await audit(client, tenantId, 'command.fail', command.id, {
        deviceId: command.deviceId,
        command: command.command,
        message: reason,
      });
      return true;
    });
  }

  /** Whether the command went as a confirmed downlink (its own `confirmed` param, else the device's setting). */
  async commandConfirmed(tenantId: string, commandId: string): Promise<boolean | null> {
    return this.as(tenantId, async (client) => {
      const { rows } = await client.query<{ confirmed: boolean }>(
        `SELECT CASE WHEN jsonb_typeof(c.params -> 'confirmed') = 'boolean'
                     THEN (c.params ->> 'confirmed')::boolean ELSE l.confirmed END AS confirmed
           FROM device_commands c JOIN lorawan_devices l ON l.device_id = c.device_id
          WHERE c.id = $1`,
        [commandId],
      );
      return rows[0]?.confirmed ?? null;
    });
  }

  async pruneUplinks(tenantId: string, applicationId: string, keepMs: number): Promise<number> {
    return this.as(tenantId, async (client) => {
      const deleted = await client.query(
        `DELETE FROM lorawan_uplinks
          WHERE application_id = $1 AND received_at < now() - $2 * interval '1 millisecond'`,
        [applicationId, keepMs],
      );
      return deleted.rowCount ?? 0;
    });
  }
}

async function audit(
  client: pg.PoolClient,
  tenantId: string,
  action: string,
  commandId: string,
  details: Record<string, unknown>,
): Promise<void> {
  await client.query(
    `INSERT INTO audit_log (tenant_id, actor_type, actor_id, action, resource_type, resource_id, details)
     VALUES ($1, 'system', NULL, $2, 'device_command', $3, $4::jsonb)`,
    [tenantId, action, commandId, JSON.stringify(details)],
  );
}
