import { HotLists } from '../http/hot-list.ts';
import { HotListCache } from '../http/hot-list-cache.ts';
import type { AppDeps } from '../app.ts';
import type { AnyRoute } from '../http/route.ts';
import { alertRulePreviewRoutes } from './alert-engine/rule-preview.routes.ts';
import type { AccessTokens } from './auth/access-token.ts';
import { alertRuleRoutes } from './alerts/alert-rule.routes.ts';
import { alertRoutes } from './alerts/alert.routes.ts';
import { notificationRuleRoutes } from './alerts/notification-rule.routes.ts';
import { assetRoutes } from './assets/asset.routes.ts';
import { auditRoutes } from './audit/audit.routes.ts';
import { accountRoutes } from './auth/account.routes.ts';
import { authDeps } from './auth/auth-deps.ts';
import { authRoutes } from './auth/auth.routes.ts';
import { basemapRoutes } from './basemap/basemap.routes.ts';
import { commandRoutes } from './commands/command.routes.ts';
import { deviceRoutes } from './devices/device.routes.ts';
import { metricRoutes } from './devices/metric.routes.ts';
import { thingSpeakRoutes } from './devices/thingspeak.routes.ts';
import { incidentRoutes } from './incidents/incident.routes.ts';
import { ingestRoutes } from './ingest/ingest.routes.ts';
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
    ...userRoutes({ db: deps.db, bus: deps.bus, notices: deps.accountNotices }),
    ...assetRoutes(deps, hotLists),
    ...spatialRoutes(deps),
    ...basemapRoutes(deps),
    ...deviceRoutes(deps),
    ...metricRoutes(deps),
    ...thingSpeakRoutes(deps),
    ...thingSpeakPreviewRoutes(deps),
    ...alertRuleRoutes(deps),
    ...alertRulePreviewRoutes(deps),
    ...alertRoutes(deps, hotLists),
    ...notificationRuleRoutes(deps),
    ...incidentRoutes(deps),
    ...commandRoutes(deps),
    ...auditRoutes(deps),
    ...ingestRoutes(deps),
    ...telemetryRoutes(deps),
  ];
}
