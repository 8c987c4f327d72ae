import type { ResourceKind } from './fixtures/fuzz-tenant.ts';
import type { OpenApiDocument } from './fuzz/openapi.ts';
import type { TenantIds } from './tenant-data.ts';

// What the sweeps (cross-tenant, and across zones within a tenant) send: every way a request names another
// resource, each in an otherwise valid request, so a refusal can only be about the reference.

/** Body fields that name another resource, and the kind of id they take. */
export const REFERENCE_FIELDS: Readonly<Record<string, ResourceKind | 'series'>> = {
  parentId: 'zone',
  zoneId: 'zone',
  zoneIds: 'zone',
  assetId: 'asset',
  fromAssetId: 'asset',
  toAssetId: 'asset',
  deviceId: 'device',
  alertIds: 'alert',
  addAlertIds: 'alert',
  ids: 'alert',
  assigneeId: 'user',
  userId: 'user',
  scheduleId: 'schedule',
  seriesId: 'series',
  attachmentIds: 'attachment',
  maintenancePlanId: 'maintenancePlan',
  lorawanApplicationId: 'lorawanApplication',
};

/**
 * Bodies that refer to tenant B by one field, per route. `own` are tenant A's ids; `b` is B's id for the field.
 * Each is otherwise valid, so a refusal can only be about the reference.
 */
export type BodyReference = (own: TenantIds, b: string | number) => unknown;
/** References in the body of a new alert rule (also what the rule preview takes). */
const newRuleReferences: Readonly<Record<string, BodyReference>> = {
  seriesId: (_own, b) => ({
    name: 'Spy',
    condition: 'high',
    priority: 'low',
    scope: 'series',
    seriesId: b,
    setpoint: 1,
  }),
  assetId: (own, b) => ({
    name: 'Spy',
    condition: 'device_offline',
    priority: 'low',
    scope: 'asset',
    assetId: b,
    ...noMetric(own),
  }),
  zoneId: (own, b) => ({
    name: 'Spy',
    condition: 'high',
    priority: 'low',
    scope: 'series',
    seriesId: own.series,
    setpoint: 1,
    zoneId: b,
  }),
};

export const BODY_REFERENCES: Readonly<Record<string, Readonly<Record<string, BodyReference>>>> = {
  'post /zones': {
    parentId: (_own, b) => ({ code: 'SPY-Z', name: 'Spy zone', parentId: b, geometry: square() }),
  },
  'post /users': {
    zoneIds: (_own, b) => ({
      email: 'spy@spy.example',
      displayName: 'Spy',
      role: 'viewer',
      password: 'a-long-password',
      zoneIds: [b],
    }),
  },
  'patch /users/:id': { zoneIds: (_own, b) => ({ zoneIds: [b] }) },
  'post /assets': {
    zoneId: (_own, b) => point({ zoneId: b }),
    fromAssetId: (_own, b) => pipe({ fromAssetId: b }),
    toAssetId: (_own, b) => pipe({ toAssetId: b }),
  },
  'post /assets/import': {
    zoneId: (_own, b) => ({ type: 'FeatureCollection', features: [point({ zoneId: b })] }),
    fromAssetId: (_own, b) => ({ type: 'FeatureCollection', features: [pipe({ fromAssetId: b })] }),
    toAssetId: (_own, b) => ({ type: 'FeatureCollection', features: [pipe({ toAssetId: b })] }),
  },
  'patch /assets/:id': { zoneId: (_own, b) => ({ zoneId: b }) },
  'post /devices': { assetId: (_own, b) => ({ name: 'Spy node', assetId: b }) },
  'patch /devices/:id': { assetId: (_own, b) => ({ assetId: b }) },
  'put /devices/:id/lorawan': {
    lorawanApplicationId: (_own, b) => ({
      lorawanApplicationId: b,
      devEui: '70b3d57ed0051234',
      mappings: [{ path: 'level', metricKey: 'level_cm' }],
    }),
  },
  'post /devices/:id/lorawan/preview': {
    lorawanApplicationId: (_own, b) => ({
      lorawanApplicationId: b,
      devEui: '70b3d57ed0051234',
      mappings: [{ path: 'level', metricKey: 'level_cm' }],
    }),
  },
  'post /alert-rules': newRuleReferences,
  // The preview takes the body of a new rule: the same references must find nothing of B's.
  'post /alert-rules/preview': newRuleReferences,
  'post /alerts/acknowledge': { ids: (_own, b) => ({ ids: [b] }) },
  'post /notification-rules': {
    zoneIds: (_own, b) => ({ channel: 'email', target: 'spy@spy.example', zoneIds: [b] }),
  },
  'patch /notification-rules/:id': { zoneIds: (_own, b) => ({ zoneIds: [b] }) },
  'post /incidents': {
    alertIds: (_own, b) => ({ title: 'Spy', priority: 'low', alertIds: [b] }),
    assetId: (_own, b) => ({ title: 'Spy', priority: 'low', assetId: b }),
    zoneId: (_own, b) => ({ title: 'Spy', priority: 'low', zoneId: b }),
  },
  'patch /incidents/:id': {
    assigneeId: (_own, b) => ({ assigneeId: b }),
    addAlertIds: (_own, b) => ({ addAlertIds: [b] }),
  },
  'post /on-call-schedules': {
    userId: (_own, b) => ({
      name: 'Spy duty',
      timeZone: 'UTC',
      shifts: [{ userId: b, weekdays: [1], starts: '08:00', ends: '20:00' }],
    }),
  },
  'post /on-call-schedules/:id/overrides': {
    userId: (_own, b) => ({ userId: b, startsAt: '2026-01-01T00:00:00Z', endsAt: '2026-01-01T08:00:00Z' }),
  },
  'post /escalation-policies': {
    userId: (_own, b) => ({ name: 'Spy policy', steps: [{ userId: b, waitS: 60 }] }),
    scheduleId: (_own, b) => ({ name: 'Spy policy', steps: [{ scheduleId: b, waitS: 60 }] }),
  },
  'post /incidents/:id/notes': {
    attachmentIds: (_own, b) => ({ body: 'Spy note', attachmentIds: [b] }),
  },
  'put /dmas/:zoneId': {
    seriesId: (_own, b) => ({ connections: 10, meters: [{ seriesId: b, direction: 'inlet' }] }),
  },
  'post /devices/:id/calibrations': {
    seriesId: (_own, b) => ({ seriesId: b, scale: 2, offset: 0, validFrom: '2026-01-01T00:00:00Z' }),
  },
  'post /assets/:id/maintenance-logs': {
    maintenancePlanId: (_own, b) => ({
      workDone: 'Spy',
      startedAt: '2026-01-01T00:00:00Z',
      maintenancePlanId: b,
    }),
  },
  'post /incidents/:id/close': {
    assetId: (_own, b) => ({
      maintenanceLog: {
        assetId: b,
        workDone: 'x',
        startedAt: '2026-01-01T00:00:00Z',
        finishedAt: '2026-01-01T01:00:00Z',
      },
    }),
  },
};

const noMetric = (_own: TenantIds): Record<string, never> => ({});
function square(): unknown {
  return {
    type: 'Polygon',
    coordinates: [
      [
        [73.9, 18.5],
        [73.91, 18.5],
        [73.91, 18.51],
        [73.9, 18.51],
        [73.9, 18.5],
      ],
    ],
  };
}
function point(extra: Record<string, unknown>): unknown {
  return {
    type: 'Feature',
    geometry: { type: 'Point', coordinates: [73.9, 18.55] },
    properties: { code: 'SPY-1', name: 'Spy', kind: 'valve', ...extra },
  };
}
function pipe(extra: Record<string, unknown>): unknown {
  return {
    type: 'Feature',
    geometry: {
      type: 'LineString',
      coordinates: [
        [73.9, 18.55],
        [73.91, 18.56],
      ],
    },
    properties: { code: 'SPY-P', name: 'Spy pipe', kind: 'pipeline', diameterMm: 100, ...extra },
  };
}

/** Query parameters that filter by another resource. */
export const QUERY_REFERENCES: Readonly<Record<string, ResourceKind | 'series' | 'any'>> = {
  zoneId: 'zone',
  assetId: 'asset',
  deviceId: 'device',
  alertId: 'alert',
  actorId: 'user',
  resourceId: 'any',
  series: 'series',
};

/** The schema with every `$ref` replaced by its target (two levels deep is enough for field names). */
export function expandRefs(document: OpenApiDocument, schema: unknown, depth = 0): unknown {
  if (depth > 6 || schema === null || typeof schema !== 'object') return schema;
  if (Array.isArray(schema)) return schema.map((item) => expandRefs(document, item, depth + 1));
  const record = schema as Record<string, unknown>;
  if (typeof record.$ref === 'string') {
    return expandRefs(
      document,
      document.components.schemas[record.$ref.replace('#/components/schemas/', '')],
      depth + 1,
    );
  }
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, expandRefs(document, v, depth + 1)]));
}

/** Bodies for routes whose schema the sampler cannot satisfy by chance (cross-field rules, node id patterns). */
const modbusBinding = {
  host: '127.0.0.1',
  port: 502,
  unitId: 1,
  registers: [{ metricKey: 'pressure_bar', function: 3, address: 0, type: 'float32' }],
};
const OPCUA_ITEMS = [{ nodeId: 'ns=2;s=Tank1.Level', metricKey: 'level_cm' }];
export const HAND_BODIES: Readonly<Record<string, unknown>> = {
  'put /devices/:id/modbus': modbusBinding,
  'post /devices/:id/modbus/preview': modbusBinding,
  'put /devices/:id/opcua': { endpointUrl: 'opc.tcp://127.0.0.1:4840/', items: OPCUA_ITEMS },
  'post /devices/:id/opcua/preview': { endpointUrl: 'opc.tcp://127.0.0.1:4840/', items: OPCUA_ITEMS },
};

/**
 * Bodies the schema sampler cannot make (a DevEUI, each path once), valid for the route, with `own`'s ids; undefined
 * for any other route.
 */
export function handMadeBody(routePath: string, own: TenantIds): unknown {
  if (routePath !== '/devices/:id/lorawan' && routePath !== '/devices/:id/lorawan/preview') return undefined;
  return {
    lorawanApplicationId: own.lorawanApplication,
    devEui: '70b3d57ed0051234',
    mappings: [{ path: 'level', metricKey: 'level_cm' }],
  };
}
