/** A Mapbox Vector Tile read just far enough for tests: layers, features, properties, first vertex. */
export interface DecodedFeature {
  readonly type: 'point' | 'line' | 'polygon' | 'unknown';
  readonly properties: Record<string, string | number | boolean>;
  /** The first vertex, in tile units (0..extent). */
  readonly first: readonly [number, number] | null;
}
export type DecodedTile = Record<string, DecodedFeature[]>;

class Reader {
  pos = 0;
  constructor(
    private readonly bytes: Uint8Array,
    readonly end = bytes.length,
  ) {}
  varint(): number {
    let result = 0;
    let shift = 1;
    for (;;) {
      const byte = this.bytes[this.pos++] ?? 0;
      result += (byte & 0x7f) * shift;
      if (byte < 0x80) return result;
      shift *= 128;
    }
  }
  /** A length-delimited field's bytes. */
  sub(): Uint8Array {
    const length = this.varint();
    const start = this.pos;
    this.pos += length;
    return this.bytes.subarray(start, start + length);
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.sub();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`wire type ${String(wire)}`);
  }
  double(): number {
    const view = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.pos, 8);
    this.pos += 8;
    return view.getFloat64(0, true);
  }
  float(): number {
    const view = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.pos, 4);
    this.pos += 4;
    return view.getFloat32(0, true);
  }
  fields(visit: (field: number, wire: number) => void): void {
    while (this.pos < this.end) {
      const key = this.varint();
      visit(Math.floor(key / 8), key % 8);
    }
  }
}

function packed(bytes: Uint8Array): number[] {
  const reader = new Reader(bytes);
  const values: number[] = [];
  while (reader.pos < reader.end) values.push(reader.varint());
  return values;
}

const zigzag = (n: number): number => (n % 2 === 0 ? n / 2 : -(n + 1) / 2);

function value(bytes: Uint8Array): string | number | boolean {
  const reader = new Reader(bytes);
  let result: string | number | boolean = '';
  reader.fields((field, wire) => {
    if (field === 1) result = new TextDecoder().decode(reader.sub());
    else if (field === 2) result = reader.float();
    else if (field === 3) result = reader.double();
    else if (field === 4 || field === 5) result = reader.varint();
    else if (field === 6) result = zigzag(reader.varint());
    else if (field === 7) result = reader.varint() === 1;
    else reader.skip(wire);
  });
  return result;
}

function layer(bytes: Uint8Array): { name: string; features: DecodedFeature[] } {
  const reader = new Reader(bytes);
  let name = '';
  const keys: string[] = [];
  const values: (string | number | boolean)[] = [];
  const raw: { tags: number[]; type: number; geometry: number[] }[] = [];
  reader.fields((field, wire) => {
    if (field === 1) name = new TextDecoder().decode(reader.sub());
    else if (field === 3) keys.push(new TextDecoder().decode(reader.sub()));
    else if (field === 4) values.push(value(reader.sub()));
    else if (field === 2) {
      const feature = new Reader(reader.sub());
      const parsed = { tags: [] as number[], type: 0, geometry: [] as number[] };
      feature.fields((f, w) => {
        if (f === 2) parsed.tags = packed(feature.sub());
        else if (f === 3) parsed.type = feature.varint();
        else if (f === 4) parsed.geometry = packed(feature.sub());
        else feature.skip(w);
      });
      raw.push(parsed);
    } else reader.skip(wire);
  });
  const types = ['unknown', 'point', 'line', 'polygon'] as const;
  const features = raw.map(({ tags, type, geometry }) => {
    const properties: Record<string, string | number | boolean> = {};
    for (let i = 0; i + 1 < tags.length; i += 2) {
      properties[keys[tags[i] ?? 0] ?? ''] = values[tags[i + 1] ?? 0] ?? '';
    }
    const first: [number, number] | null =
      geometry.length >= 3 ? [zigzag(geometry[1] ?? 0), zigzag(geometry[2] ?? 0)] : null;
    return { type: types[type] ?? 'unknown', properties, first };
  });
  return { name, features };
}

/** Every layer of an (uncompressed) MVT tile by name. */
export function decodeVectorTile(bytes: Uint8Array): DecodedTile {
  const reader = new Reader(bytes);
  const tile: DecodedTile = {};
  reader.fields((field, wire) => {
    if (field !== 3) {
      reader.skip(wire);
      return;
    }
    const { name, features } = layer(reader.sub());
    (tile[name] ??= []).push(...features);
  });
  return tile;
}
