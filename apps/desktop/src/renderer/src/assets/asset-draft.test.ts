import type { AssetFeature } from '@tidewatch/shared';
import { describe, expect, it } from 'vitest';
import { changesOf } from './asset-draft.ts';

const pipe: AssetFeature = {
  type: 'Feature',
  id: '00000000-0000-4000-8000-000000000001',
  geometry: {
    type: 'LineString',
    coordinates: [
      [78.1, 17.1],
      [78.2, 17.2],
    ],
  },
  properties: {
    code: 'PL-1',
    name: 'Trunk main',
    kind: 'pipeline',
    zoneId: '00000000-0000-4000-8000-0000000000aa',
    diameterMm: 600,
    material: 'ductile_iron',
    installedOn: null,
    tags: ['renewal:planned'],
  } as AssetFeature['properties'],
};

const unchanged = {
  name: 'Trunk main',
  zoneId: pipe.properties.zoneId ?? '',
  diameterMm: '600',
  material: 'ductile_iron',
  installedOn: '',
  tags: 'renewal:planned',
};

describe('asset editor', () => {
  it('sends only the fields that changed, with empty fields as null', () => {
    expect(changesOf(pipe, unchanged)).toEqual({});
    expect(changesOf(pipe, { ...unchanged, name: '  Trunk main north ' })).toEqual({
      name: 'Trunk main north',
    });
    expect(changesOf(pipe, { ...unchanged, zoneId: '', material: '' })).toEqual({
      zoneId: null,
      material: null,
    });
    expect(changesOf(pipe, { ...unchanged, diameterMm: '450', installedOn: '2019-04-01' })).toEqual({
      diameterMm: 450,
      installedOn: '2019-04-01',
    });
  });

  it('sends the whole tag list when the tags changed, whatever their order or separators', () => {
    expect(changesOf(pipe, { ...unchanged, tags: ' renewal:planned, ' })).toEqual({});
    expect(changesOf(pipe, { ...unchanged, tags: 'zone-north,renewal:planned' })).toEqual({
      tags: ['renewal:planned', 'zone-north'],
    });
    expect(changesOf(pipe, { ...unchanged, tags: '' })).toEqual({ tags: [] });
  });
});
