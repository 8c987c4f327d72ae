import type { PointAssetKind } from '@tidewatch/shared';

export interface DemoZone {
  readonly code: string;
  readonly name: string;
}

export interface DemoTenant {
  readonly slug: string;
  readonly name: string;
  readonly timeZone: string;
  /** Minutes east of UTC, for the demand cycle (both demo cities have no daylight saving). */
  readonly utcOffsetMinutes: number;
  /** [longitude, latitude] of the network's centre. */
  readonly center: readonly [number, number];
  /** Side of the served square, in kilometres; split into a 2 x 2 grid of zones. */
  readonly spanKm: number;
  readonly codePrefix: string;
  readonly zones: readonly [DemoZone, DemoZone, DemoZone, DemoZone];
  readonly seed: number;
}

// Two real municipalities; the network itself is generated, placed around their real coordinates.
// The first is centred on the ThingSpeak fixture channel's location.
export const demoTenants: readonly [DemoTenant, DemoTenant] = [
  {
    slug: 'hyderabad-west',
    name: 'Hyderabad West Water Works',
    timeZone: 'Asia/Kolkata',
    utcOffsetMinutes: 330,
    center: [78.3762, 17.4474],
    spanKm: 7,
    codePrefix: 'HYD',
    zones: [
      { code: 'DMA-GAC', name: 'Gachibowli' },
      { code: 'DMA-KON', name: 'Kondapur' },
      { code: 'DMA-NAN', name: 'Nanakramguda' },
      { code: 'DMA-MAD', name: 'Madhapur' },
    ],
    seed: 1701,
  },
  {
    slug: 'pune-east',
    name: 'Pune East Water Utility',
    timeZone: 'Asia/Kolkata',
    utcOffsetMinutes: 330,
    center: [73.9143, 18.5515],
    spanKm: 6,
    codePrefix: 'PNQ',
    zones: [
      { code: 'DMA-VIM', name: 'Viman Nagar' },
      { code: 'DMA-KHA', name: 'Kharadi' },
      { code: 'DMA-KAL', name: 'Kalyani Nagar' },
      { code: 'DMA-WAD', name: 'Wadgaon Sheri' },
    ],
    seed: 2903,
  },
];

/** How many point assets of each kind a demo tenant gets (173 per tenant). */
export const assetCounts: Readonly<Record<PointAssetKind, number>> = {
  plant: 1,
  reservoir: 2,
  tank: 14,
  sump: 8,
  pump: 14,
  borewell: 16,
  flow_meter: 22,
  pressure_point: 30,
  valve: 40,
  junction: 26,
};

export const kindLabels: Readonly<Record<PointAssetKind, string>> = {
  plant: 'Treatment Plant',
  reservoir: 'Service Reservoir',
  tank: 'OHT',
  sump: 'Sump',
  pump: 'Pump Station',
  borewell: 'Borewell',
  flow_meter: 'Flow Meter',
  pressure_point: 'Pressure Logger',
  valve: 'Valve',
  junction: 'Junction',
};

export const kindCodes: Readonly<Record<PointAssetKind, string>> = {
  plant: 'WTP',
  reservoir: 'RES',
  tank: 'TNK',
  sump: 'SMP',
  pump: 'PMP',
  borewell: 'BWL',
  flow_meter: 'FLM',
  pressure_point: 'PRS',
  valve: 'VLV',
  junction: 'JCT',
};

export interface DemoMetric {
  readonly key: string;
  readonly name: string;
  readonly unit: string;
  readonly kind: 'gauge' | 'counter' | 'state';
  readonly validMin: number;
  readonly validMax: number;
  readonly decimals: number;
}

export const demoMetrics: readonly DemoMetric[] = [
  {
    key: 'level_cm',
    name: 'Water level',
    unit: 'cm',
    kind: 'gauge',
    validMin: -50,
    validMax: 2000,
    decimals: 1,
  },
  {
    key: 'flow_lpm',
    name: 'Flow rate',
    unit: 'L/min',
    kind: 'gauge',
    validMin: -100,
    validMax: 200000,
    decimals: 0,
  },
  {
    key: 'pressure_bar',
    name: 'Pressure',
    unit: 'bar',
    kind: 'gauge',
    validMin: -1,
    validMax: 25,
    decimals: 2,
  },
  {
    key: 'tds_ppm',
    name: 'Total dissolved solids',
    unit: 'ppm',
    kind: 'gauge',
    validMin: 0,
    validMax: 5000,
    decimals: 0,
  },
  { key: 'ph', name: 'pH', unit: 'pH', kind: 'gauge', validMin: 0, validMax: 14, decimals: 2 },
  {
    key: 'battery_v',
    name: 'Battery voltage',
    unit: 'V',
    kind: 'gauge',
    validMin: 0,
    validMax: 6,
    decimals: 2,
  },
  {
    key: 'temperature_c',
    name: 'Water temperature',
    unit: '°C',
    kind: 'gauge',
    validMin: -20,
    validMax: 80,
    decimals: 1,
  },
  { key: 'pump_state', name: 'Pump running', unit: '', kind: 'state', validMin: 0, validMax: 1, decimals: 0 },
  {
    key: 'water_table_m',
    name: 'Water table depth',
    unit: 'm',
    kind: 'gauge',
    validMin: 0,
    validMax: 500,
    decimals: 1,
  },
];

/** Demo logins; every one uses the demo password. */
export const demoUserRoles = [
  { local: 'viewer', role: 'viewer', name: 'Vera Viewer' },
  { local: 'operator', role: 'operator', name: 'Omar Operator' },
  { local: 'operator2', role: 'operator', name: 'Olivia Operator' },
  { local: 'maintenance', role: 'maintenance', name: 'Manoj Maintenance' },
  { local: 'supervisor', role: 'supervisor', name: 'Sunita Supervisor' },
  { local: 'admin', role: 'tenant_admin', name: 'Arjun Admin' },
] as const;

export const DEMO_SUPER_ADMIN_EMAIL = 'superadmin@tidewatch.example';
export const DEFAULT_DEMO_PASSWORD = 'tidewatch-demo';

export function demoEmail(local: string, tenant: DemoTenant): string {
  return `${local}@${tenant.slug}.example`;
}
