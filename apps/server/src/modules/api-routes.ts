import { HotLists } from '../http/hot-list.ts';
import { HotListCache } from '../http/hot-list-cache.ts';
import type { AppDeps } from '../app.ts';
import type { AnyRoute } from '../http/route.ts';
import { alertRulePreviewRoutes } from './alert-engine/rule-preview.routes.ts';
import type { AccessTokens } from './auth/access-token.ts';
import { alarmSettingsRoutes } from './alerts/alarm-settings.routes.ts';
import { escalationRoutes } from './escalation/escalation.routes.ts';
import { reportRoutes } from './reports/reports.routes.ts';
import { userNameRoutes } from './users/user-names.routes.ts';
import { alertRuleRoutes } from './alerts/alert-rule.routes.ts';
import { alertRoutes } from './alerts/alert.routes.ts';
import { notificationRuleRoutes } from './alerts/notification-rule.routes.ts';
import { assetRoutes } from './assets/asset.routes.ts';
import { attachmentRoutes } from './attachments/attachment.routes.ts';
import { blobStoreFor } from './attachments/blob-store.ts';
import { auditRoutes } from './audit/audit.routes.ts';
import { accountRoutes } from './auth/account.routes.ts';
import { authDeps } from './auth/auth-deps.ts';
import { authRoutes } from './auth/auth.routes.ts';
import { basemapRoutes } from './basemap/basemap.routes.ts';
import { commandRoutes } from './commands/command.routes.ts';
import { deviceRecordRoutes } from './device-records/device-records.routes.ts';
import { deviceCommandRoutes } from './commands/device-command.routes.ts';
import { deviceRoutes } from './devices/device.routes.ts';
import { dmaRoutes } from './dma/dma.routes.ts';
import { forecastRoutes } from './forecast/forecast.routes.ts';
import { assetHealthRoutes } from './asset-health/asset-health.routes.ts';
import { metricRoutes } from './devices/metric.routes.ts';
import { modbusRoutes } from './modbus/modbus.routes.ts';
import { thingSpeakRoutes } from './devices/thingspeak.routes.ts';
import { lorawanRoutes } from './lorawan/lorawan.routes.ts';
import { incidentRoutes } from './incidents/incident.routes.ts';
import { opcuaRoutes } from './opcua/opcua.routes.ts';
import { ingestRoutes } from './ingest/ingest.routes.ts';
import { maintenanceRoutes } from './maintenance/maintenance.routes.ts';
import { spatialRoutes } from './spatial/spatial.routes.ts';
import { telemetryRoutes } from './telemetry/telemetry.routes.ts';
import { securitySettingsRoutes } from './tenants/security-settings.routes.ts';
import { tenantRetentionRoutes } from './retention/tenant-retention.routes.ts';
import { tenantRoutes } from './tenants/tenant.routes.ts';
import { thingSpeakPreviewRoutes } from './thingspeak/channel-preview.routes.ts';
import { userRoutes } from './users/user.routes.ts';
import { zoneRoutes } from './zones/zone.routes.ts';

export type RouteDeps = AppDeps & { readonly tokens: AccessTokens };

/** Every REST route of API v1, in the order the OpenAPI document lists them. */
export function apiRoutes(deps: RouteDeps): AnyRoute[] {
  const { config } = deps;
  const auth = authDeps(deps);
  // One bound for every hot list of this instance.
  const hotLists = new HotLists(new HotListCache(), deps.db);
  return [
    ...authRoutes(auth, { perIp: config.LOGIN_RATE_LIMIT_PER_IP, windowSeconds: config.LOGIN_RATE_WINDOW_S }),
    ...accountRoutes(auth),
    ...tenantRoutes(deps),
    ...securitySettingsRoutes(deps),
    ...tenantRetentionRoutes(deps),
    ...zoneRoutes(deps),
    ...dmaRoutes(deps),
    ...forecastRoutes(deps),
    ...assetHealthRoutes(deps),
    ...userRoutes({ db: deps.db, bus: deps.bus, notices: deps.accountNotices }),
    ...assetRoutes(deps, hotLists),
    ...spatialRoutes(deps),
    ...basemapRoutes(deps),
    ...deviceRoutes(deps),
    ...metricRoutes(deps),
    ...thingSpeakRoutes(deps),
    ...thingSpeakPreviewRoutes(deps),
    ...modbusRoutes(deps),
    ...opcuaRoutes(deps),
    ...lorawanRoutes(deps),
    ...alertRuleRoutes(deps),
    ...alarmSettingsRoutes(deps),
    ...escalationRoutes(deps),
    ...reportRoutes(deps),
    ...userNameRoutes(deps),
    ...alertRulePreviewRoutes(deps),
    ...alertRoutes(deps, hotLists),
    ...notificationRuleRoutes(deps),
    ...incidentRoutes(deps),
    ...maintenanceRoutes(deps),
    ...attachmentRoutes(deps, blobStoreFor(config.S3_URL)),
    ...deviceRecordRoutes(deps),
    ...commandRoutes(deps),
    ...auditRoutes(deps),
    ...ingestRoutes(deps),
    ...deviceCommandRoutes(deps),
    ...telemetryRoutes(deps),
  ];
}
