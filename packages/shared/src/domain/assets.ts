/** Point assets sit at one location; a pipeline is a line between two point assets. */
export const pointAssetKinds = [
  'tank',
  'sump',
  'reservoir',
  'pump',
  'borewell',
  'flow_meter',
  'pressure_point',
  'valve',
  'plant',
  'junction',
] as const;
export const assetKinds = [...pointAssetKinds, 'pipeline'] as const;
export type PointAssetKind = (typeof pointAssetKinds)[number];
export type AssetKind = (typeof assetKinds)[number];

export const pipeMaterials = [
  'ductile_iron',
  'cast_iron',
  'steel',
  'pvc',
  'hdpe',
  'asbestos_cement',
  'galvanized_iron',
  'concrete',
] as const;
export type PipeMaterial = (typeof pipeMaterials)[number];

export const zoneKinds = ['district', 'dma', 'pressure_zone', 'community'] as const;
export type ZoneKind = (typeof zoneKinds)[number];
