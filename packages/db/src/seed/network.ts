import type { PipeMaterial, PointAssetKind } from '@tidewatch/shared';
import { assetCounts, kindCodes, kindLabels, type DemoTenant } from './demo-tenants.ts';
import type { Random } from './random.ts';

export type LngLat = readonly [number, number];

export interface PlannedPoint {
  readonly code: string;
  readonly name: string;
  readonly kind: PointAssetKind;
  readonly position: LngLat;
  readonly zoneIndex: number;
  /** Index among the tenant's assets of the same kind, for scenarios that pick "the third tank". */
  readonly ordinal: number;
  readonly properties: Record<string, unknown>;
}

export interface PlannedPipe {
  readonly code: string;
  readonly name: string;
  readonly fromCode: string;
  readonly toCode: string;
  readonly diameterMm: number;
  readonly material: PipeMaterial;
  readonly installedOn: string;
  readonly path: readonly LngLat[];
  readonly zoneIndex: number;
}

export interface PlannedNetwork {
  readonly zones: readonly {
    readonly code: string;
    readonly name: string;
    readonly ring: readonly LngLat[];
  }[];
  readonly points: readonly PlannedPoint[];
  readonly pipes: readonly PlannedPipe[];
}

const KM_PER_DEGREE_LAT = 110.574;

function kmPerDegreeLng(latitude: number): number {
  return 111.32 * Math.cos((latitude * Math.PI) / 180);
}

function distanceKm(a: LngLat, b: LngLat): number {
  const dx = (a[0] - b[0]) * kmPerDegreeLng((a[1] + b[1]) / 2);
  const dy = (a[1] - b[1]) * KM_PER_DEGREE_LAT;
  return Math.hypot(dx, dy);
}

/** Builds a tenant's zones, point assets and a connected pipe network fed from the treatment plant. */
export function planNetwork(tenant: DemoTenant, random: Random): PlannedNetwork {
  const [centerLng, centerLat] = tenant.center;
  const halfLng = tenant.spanKm / 2 / kmPerDegreeLng(centerLat);
  const halfLat = tenant.spanKm / 2 / KM_PER_DEGREE_LAT;
  const west = centerLng - halfLng;
  const south = centerLat - halfLat;

  // A 2 x 2 grid: zone index = row * 2 + column, row 0 in the south.
  const zones = tenant.zones.map((zone, index) => {
    const column = index % 2;
    const row = Math.floor(index / 2);
    const x0 = west + column * halfLng;
    const y0 = south + row * halfLat;
    const ring: LngLat[] = [
      [x0, y0],
      [x0 + halfLng, y0],
      [x0 + halfLng, y0 + halfLat],
      [x0, y0 + halfLat],
      [x0, y0],
    ];
    return { ...zone, ring };
  });
  const zoneOf = ([lng, lat]: LngLat): number => (lat >= centerLat ? 2 : 0) + (lng >= centerLng ? 1 : 0);

  const points: PlannedPoint[] = [];
  const zoneCounters = new Map<string, number>();
  for (const kind of Object.keys(assetCounts) as PointAssetKind[]) {
    for (let ordinal = 0; ordinal < assetCounts[kind]; ordinal += 1) {
      // The plant and reservoirs sit near the centre, everything else spreads over the service area.
      const spread = kind === 'plant' ? 0.08 : kind === 'reservoir' ? 0.3 : 0.94;
      const position: LngLat = [
        centerLng + random.between(-spread, spread) * halfLng,
        centerLat + random.between(-spread, spread) * halfLat,
      ];
      const zoneIndex = zoneOf(position);
      const zoneName = zones[zoneIndex]?.name ?? '';
      const counterKey = `${kind}:${zoneIndex}`;
      const inZone = (zoneCounters.get(counterKey) ?? 0) + 1;
      zoneCounters.set(counterKey, inZone);
      const isThingSpeakTank = kind === 'tank' && ordinal === 0 && tenant.codePrefix === 'HYD';
      points.push({
        code: `${tenant.codePrefix}-${kindCodes[kind]}-${String(ordinal + 1).padStart(3, '0')}`,
        name: isThingSpeakTank ? 'OHT Block-C Tank' : `${kindLabels[kind]} ${zoneName} ${inZone}`,
        kind,
        position,
        zoneIndex,
        ordinal,
        properties: assetProperties(kind, random),
      });
    }
  }

  return { zones, points, pipes: planPipes(tenant, points, random) };
}

function assetProperties(kind: PointAssetKind, random: Random): Record<string, unknown> {
  switch (kind) {
    case 'tank':
      return { capacityLitres: random.pick([100_000, 200_000, 500_000]), heightCm: 400, overflowCm: 390 };
    case 'sump':
      return { capacityLitres: random.pick([300_000, 600_000]), heightCm: 300 };
    case 'reservoir':
      return { capacityLitres: random.pick([5_000_000, 10_000_000]), heightCm: 1000 };
    case 'pump':
      return { ratedKw: random.pick([7.5, 15, 22, 37]), ratedFlowLpm: random.integer(8, 20) * 100 };
    case 'borewell':
      return { depthM: random.integer(90, 220), casingMm: random.pick([150, 200]) };
    case 'flow_meter':
      return {
        sizeMm: random.pick([100, 150, 200, 300]),
        meterType: random.pick(['electromagnetic', 'ultrasonic']),
      };
    case 'pressure_point':
      return { loggerModel: random.pick(['PL-200', 'PL-300']) };
    case 'valve':
      return { valveType: random.pick(['gate', 'butterfly', 'pressure_reducing']), normallyOpen: true };
    case 'plant':
      return { capacityMld: random.pick([45, 60, 90]) };
    case 'junction':
      return {};
  }
}

/**
 * A minimum spanning tree over the point assets, rooted at the plant, so every asset is reachable and
 * flow runs outwards; then a few extra links close loops, as real distribution networks have.
 */
function planPipes(tenant: DemoTenant, points: readonly PlannedPoint[], random: Random): PlannedPipe[] {
  const count = points.length;
  const rootIndex = points.findIndex((point) => point.kind === 'plant');
  const parent = new Array<number>(count).fill(-1);
  const best = new Array<number>(count).fill(Number.POSITIVE_INFINITY);
  const inTree = new Array<boolean>(count).fill(false);
  const order: number[] = [];
  best[rootIndex] = 0;
  for (let step = 0; step < count; step += 1) {
    let next = -1;
    for (let i = 0; i < count; i += 1) {
      if (!inTree[i] && (next === -1 || (best[i] ?? Infinity) < (best[next] ?? Infinity))) next = i;
    }
    inTree[next] = true;
    order.push(next);
    const from = points[next];
    if (!from) continue;
    for (let i = 0; i < count; i += 1) {
      const to = points[i];
      if (inTree[i] || !to) continue;
      const distance = distanceKm(from.position, to.position);
      if (distance < (best[i] ?? Infinity)) {
        best[i] = distance;
        parent[i] = next;
      }
    }
  }

  // Pipe size follows how much of the network is fed through it.
  const downstream = new Array<number>(count).fill(1);
  for (const index of [...order].reverse()) {
    const up = parent[index] ?? -1;
    if (up >= 0) downstream[up] = (downstream[up] ?? 1) + (downstream[index] ?? 1);
  }
  const depth = new Array<number>(count).fill(0);
  for (const index of order) {
    const up = parent[index] ?? -1;
    if (up >= 0) depth[index] = (depth[up] ?? 0) + 1;
  }

  const edges: { from: number; to: number; fed: number }[] = [];
  for (let i = 0; i < count; i += 1) {
    const up = parent[i] ?? -1;
    if (up >= 0) edges.push({ from: up, to: i, fed: downstream[i] ?? 1 });
  }
  const linked = new Set(
    edges.map((edge) => `${Math.min(edge.from, edge.to)}:${Math.max(edge.from, edge.to)}`),
  );
  for (let i = 0; i < count; i += 1) {
    const point = points[i];
    if (!point || random.next() > 0.1) continue;
    const candidates = points
      .map((other, j) => ({ j, distance: distanceKm(point.position, other.position) }))
      .filter(({ j }) => j !== i && !linked.has(`${Math.min(i, j)}:${Math.max(i, j)}`))
      .sort((a, b) => a.distance - b.distance);
    const closest = candidates[0];
    if (!closest || closest.distance > 1.2) continue;
    const [from, to] = (depth[i] ?? 0) <= (depth[closest.j] ?? 0) ? [i, closest.j] : [closest.j, i];
    linked.add(`${Math.min(from, to)}:${Math.max(from, to)}`);
    edges.push({ from, to, fed: 1 });
  }

  return edges.map((edge, index) => {
    const from = points[edge.from];
    const to = points[edge.to];
    if (!from || !to) throw new Error('pipe endpoint missing');
    const diameterMm = pipeDiameter(edge.fed);
    const material = pipeMaterial(diameterMm, random);
    // A slight bend at one third keeps the map from looking like a ruler drawing.
    const bend: LngLat = [
      from.position[0] + (to.position[0] - from.position[0]) / 3 + random.between(-1, 1) * 0.0006,
      from.position[1] + (to.position[1] - from.position[1]) / 3 + random.between(-1, 1) * 0.0006,
    ];
    return {
      code: `${tenant.codePrefix}-PIPE-${String(index + 1).padStart(4, '0')}`,
      name: `${diameterMm} mm main ${from.code} → ${to.code}`,
      fromCode: from.code,
      toCode: to.code,
      diameterMm,
      material,
      installedOn: `${random.integer(1985, 2023)}-${String(random.integer(1, 12)).padStart(2, '0')}-01`,
      path: [from.position, bend, to.position],
      zoneIndex: to.zoneIndex,
    };
  });
}

function pipeDiameter(fed: number): number {
  if (fed > 120) return 600;
  if (fed > 60) return 450;
  if (fed > 25) return 300;
  if (fed > 10) return 200;
  if (fed > 3) return 150;
  return 100;
}

function pipeMaterial(diameterMm: number, random: Random): PipeMaterial {
  if (diameterMm >= 450) return random.pick(['ductile_iron', 'steel', 'concrete']);
  if (diameterMm >= 200) return random.pick(['ductile_iron', 'ductile_iron', 'cast_iron', 'asbestos_cement']);
  return random.pick(['hdpe', 'pvc', 'pvc', 'galvanized_iron']);
}
