import { pipeMaterials, type AssetFeature, type AssetUpdate } from '@tidewatch/shared';

/** The asset editor's fields, as the form holds them (text). */
export interface AssetDraft {
  readonly name: string;
  readonly zoneId: string;
  readonly diameterMm: string;
  readonly material: string;
  readonly installedOn: string;
  /** Tags separated by spaces or commas. */
  readonly tags: string;
}

export function draftOf(feature: AssetFeature): AssetDraft {
  const p = feature.properties;
  return {
    name: p.name,
    zoneId: p.zoneId ?? '',
    diameterMm: p.diameterMm === null ? '' : String(p.diameterMm),
    material: p.material ?? '',
    installedOn: p.installedOn ?? '',
    tags: p.tags.join(' '),
  };
}

/** Only what the admin changed, so two people editing different fields of one asset do not undo each other. */
export function changesOf(feature: AssetFeature, draft: AssetDraft): AssetUpdate {
  const before = draftOf(feature);
  const change: { -readonly [K in keyof AssetUpdate]: AssetUpdate[K] } = {};
  if (draft.name.trim() !== before.name) change.name = draft.name.trim();
  if (draft.zoneId !== before.zoneId) change.zoneId = draft.zoneId === '' ? null : draft.zoneId;
  if (draft.diameterMm !== before.diameterMm && draft.diameterMm !== '')
    change.diameterMm = Number(draft.diameterMm);
  if (draft.material !== before.material)
    change.material = pipeMaterials.find((material) => material === draft.material) ?? null;
  if (draft.installedOn !== before.installedOn)
    change.installedOn = draft.installedOn === '' ? null : draft.installedOn;
  const tags = parseTags(draft.tags);
  if (tags.join(' ') !== parseTags(before.tags).join(' ')) change.tags = tags;
  return change;
}

/**
 * The tags typed in a field: split on spaces and commas, each once, sorted (as the API answers them).
 * @example parseTags('zone-north, criticality:high zone-north') // ['criticality:high', 'zone-north']
 */
export function parseTags(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).filter((tag) => tag !== ''))].sort();
}
