import * as shared from '@tidewatch/shared';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase, type Database } from '../src/client.ts';
import { Prisma, $Enums } from '../src/generated/prisma/client.ts';
import { withTenant } from '../src/tenant-context.ts';
import { connect, demoTenantIds, disconnect } from './helpers.ts';

// Prisma reads every scalar column it knows of on findFirst, so a model that drifted from the SQL fails here.
describe('the Prisma schema matches the migrated database', () => {
  let db: Database;
  let tenantId: string;

  beforeAll(async () => {
    const connections = await connect();
    tenantId = (await demoTenantIds(connections.admin)).b;
    await disconnect(connections);
    db = createDatabase({ url: inject('seededAppUrl'), maxConnections: 2 });
  });
  afterAll(async () => {
    await db.close();
  });

  it('reads a row of every model through the application role', async () => {
    const models = Object.values(Prisma.ModelName).map(
      (name) => name.charAt(0).toLowerCase() + name.slice(1),
    );
    const empty: string[] = [];
    await withTenant(db.prisma, { tenantId, userId: null, role: 'tenant_admin' }, async (tx) => {
      for (const model of models) {
        const delegate = (tx as unknown as Record<string, { findFirst: () => Promise<unknown> }>)[model];
        const row = await delegate?.findFirst();
        if (row === null) empty.push(model);
      }
    });

    expect(models.length).toBeGreaterThanOrEqual(30);
    // Only tables that fill at run time may be empty in the demo data (other test files may have filled them).
    const fillAtRunTime = new Set([
      'alertFlood',
      'alertRuleState',
      'attachment',
      'deviceFirmware',
      'deviceTag',
      'idempotencyKey',
      'maintenancePlan',
      'notificationOutbox',
      // OPC UA: bound, and certificates met, by administrators at run time (the demo has no OPC UA device).
      'opcuaBinding',
      'opcuaClientCertificate',
      'opcuaCommandMapping',
      'opcuaMonitoredItem',
      'opcuaServerCertificate',
      'refreshToken',
      'session',
      'userTotp',
    ]);
    expect(empty.filter((model) => !fillAtRunTime.has(model))).toEqual([]);
  });

  it('uses the same enum values as packages/shared', () => {
    const pairs: [Record<string, string>, readonly string[]][] = [
      [$Enums.UserRole, shared.roles],
      [$Enums.AssetKind, shared.assetKinds],
      [$Enums.PipeMaterial, shared.pipeMaterials],
      [$Enums.ZoneKind, shared.zoneKinds],
      [$Enums.DeviceTransport, shared.deviceTransports],
      [$Enums.DeviceConnectivity, shared.deviceConnectivities],
      [$Enums.MetricKind, shared.metricKinds],
      [$Enums.CommandState, shared.commandStates],
      [$Enums.AlertPriority, shared.alertPriorities],
      [$Enums.AlertCondition, shared.alertConditions],
      [$Enums.AlertTargetScope, shared.alertTargetScopes],
      [$Enums.AlertState, shared.alertStates],
      [$Enums.IncidentStatus, shared.incidentStatuses],
      [$Enums.NotificationChannel, shared.notificationChannels],
      [$Enums.DeliveryState, shared.deliveryStates],
      [$Enums.ActorType, shared.actorTypes],
      [$Enums.AuditOutcome, shared.auditOutcomes],
    ];
    for (const [prismaEnum, sharedValues] of pairs) {
      expect(Object.values(prismaEnum)).toEqual([...sharedValues]);
    }
  });
});
