import type { Random } from '../random.ts';
import { resolveSchema, type JsonSchema, type OpenApiDocument } from './openapi.ts';

/** Ids and names the sampler may use, by the name of the field they go into (`zoneId`, `alertIds`, `series`). */
export type FieldHints = (field: string, random: Random) => string | undefined;

const SAFE_TEXT = '^[^<>\\p{Cc}]*$';
const CODE = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';
const METRIC_KEY = '^[a-z][a-z0-9_]{0,63}$';
const SLUG = '^[a-z0-9][a-z0-9-]{1,62}$';
const READ_API_KEY = '^[A-Z0-9]{16}$';
const WORDS = [
  'north',
  'tank',
  'pump',
  'main',
  'valve',
  'zone',
  'reservoir',
  'east',
  'ward',
  'line',
  'outlet',
];

/** A point around Pune, where the fuzz tenant's network lies. */
function position(random: Random): [number, number] {
  return [73.7 + random.int(0, 30_000) / 100_000, 18.4 + random.int(0, 30_000) / 100_000];
}

/** A small closed square ring around a random point (PostGIS wants closed, simple rings). */
function squareRing(random: Random): [number, number][] {
  const [lng, lat] = position(random);
  const d = 0.001 * random.int(1, 20);
  return [
    [lng, lat],
    [lng + d, lat],
    [lng + d, lat + d],
    [lng, lat + d],
    [lng, lat],
  ];
}

function geometry(kind: string, random: Random): unknown {
  switch (kind) {
    case 'Point':
      return { type: 'Point', coordinates: position(random) };
    case 'LineString':
      return { type: 'LineString', coordinates: [position(random), position(random)] };
    case 'Polygon':
      return { type: 'Polygon', coordinates: [squareRing(random)] };
    default:
      return { type: 'MultiPolygon', coordinates: [[squareRing(random)]] };
  }
}

function dateTime(field: string, random: Random): string {
  const now = Date.now();
  const early = /^(from|startedAt|after|since)$/i.test(field);
  const late = /^(to|finishedAt|until)$/i.test(field);
  const offsetMs = early
    ? random.int(30, 60) * 3_600_000
    : late
      ? random.int(0, 10) * 60_000
      : random.int(11, 29) * 3_600_000;
  return new Date(now - offsetMs).toISOString();
}

/**
 * Generates values that satisfy a JSON Schema from the OpenAPI document, as well as a JSON Schema can say
 * (refinements live in zod; the oracle asks zod whether the result is valid). Field names pick realistic ids.
 */
export class SchemaSampler {
  constructor(
    private readonly document: OpenApiDocument,
    private readonly hints: FieldHints,
  ) {}

  sample(schema: JsonSchema, random: Random, field = '', depth = 0): unknown {
    const resolved = resolveSchema(this.document, schema);
    if ('const' in resolved) return resolved.const;
    if (Array.isArray(resolved.enum)) return random.pick(resolved.enum as unknown[]);
    const branches = (resolved.anyOf ?? resolved.oneOf) as JsonSchema[] | undefined;
    if (branches) return this.sample(this.pickBranch(branches, depth, random), random, field, depth + 1);
    const type = Array.isArray(resolved.type)
      ? random.pick(
          (resolved.type as string[]).filter((t) => t !== 'null').concat(random.chance(0.1) ? ['null'] : []),
        )
      : resolved.type;
    switch (type) {
      case 'string':
        return this.string(resolved, field, random);
      case 'integer':
      case 'number':
        return this.number(resolved, type === 'integer', field, random);
      case 'boolean':
        return random.chance(0.5);
      case 'null':
        return null;
      case 'array':
        return this.array(resolved, field, random, depth);
      case 'object':
        return this.object(resolved, random, depth);
      default:
        // `{}` (anything): a small JSON value.
        return random.pick([1, 'x', true, null]);
    }
  }

  private pickBranch(branches: readonly JsonSchema[], depth: number, random: Random): JsonSchema {
    const concrete = branches.filter((b) => resolveSchema(this.document, b).type !== 'null');
    // Deep in a recursive schema (JSON values), stop recursing.
    if (depth > 3) {
      const flat = concrete.filter(
        (b) => !['array', 'object'].includes(String(resolveSchema(this.document, b).type)),
      );
      if (flat.length > 0) return random.pick(flat);
    }
    if (concrete.length > 0 && random.chance(0.85)) return random.pick(concrete);
    return random.pick(branches);
  }

  private string(schema: JsonSchema, field: string, random: Random): string {
    const hinted = this.hints(field, random);
    if (hinted !== undefined) return hinted;
    const format = schema.format;
    const pattern = typeof schema.pattern === 'string' ? schema.pattern : undefined;
    if (format === 'uuid') return random.uuid();
    if (format === 'date-time') return dateTime(field, random);
    if (format === 'date') return dateTime(field, random).slice(0, 10);
    if (format === 'email') return `fuzz.${random.string(8)}@fuzz.example`;
    if (format === 'uri') return `https://hooks.fuzz.invalid/${random.string(10)}`;
    if (pattern === CODE) return `FZ-${random.string(8).toUpperCase()}`;
    if (pattern === METRIC_KEY)
      return random.pick(['level_cm', 'pressure_bar', 'flow_lpm', 'battery_v', `m_${random.string(6)}`]);
    if (pattern === SLUG) return `fuzz-${random.string(10)}`;
    if (pattern === READ_API_KEY) return random.string(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789');
    const min = typeof schema.minLength === 'number' ? schema.minLength : 1;
    const max = typeof schema.maxLength === 'number' ? schema.maxLength : 60;
    if (pattern === SAFE_TEXT || pattern === undefined) {
      let text = `${random.pick(WORDS)} ${random.pick(WORDS)} ${random.string(4)}`;
      while (text.length < min) text += ` ${random.pick(WORDS)}`;
      return text.slice(0, Math.max(min, Math.min(max, text.length)));
    }
    return random.string(Math.max(min, Math.min(max, 12)));
  }

  private number(schema: JsonSchema, integer: boolean, field: string, random: Random): number {
    const hinted = this.hints(field, random);
    if (hinted !== undefined && /^\d+$/.test(hinted)) return Number(hinted);
    const low =
      typeof schema.exclusiveMinimum === 'number'
        ? schema.exclusiveMinimum + (integer ? 1 : 0.5)
        : typeof schema.minimum === 'number'
          ? schema.minimum
          : 0;
    const high = typeof schema.maximum === 'number' ? Math.min(schema.maximum, low + 1000) : low + 1000;
    if (integer) return random.int(Math.ceil(low), Math.floor(high));
    return Math.round((low + random.next() * (high - low)) * 100) / 100;
  }

  private array(schema: JsonSchema, field: string, random: Random, depth: number): unknown[] {
    if (Array.isArray(schema.prefixItems)) {
      return (schema.prefixItems as JsonSchema[]).map((item) => this.sample(item, random, field, depth + 1));
    }
    const items = (schema.items ?? {}) as JsonSchema;
    const min = typeof schema.minItems === 'number' ? schema.minItems : 0;
    const max = typeof schema.maxItems === 'number' ? schema.maxItems : min + 3;
    const count = random.int(min, Math.min(max, min + 2));
    return Array.from({ length: count }, () => this.sample(items, random, field, depth + 1));
  }

  private object(schema: JsonSchema, random: Random, depth: number): Record<string, unknown> {
    const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
    const typeProperty = properties.type ? resolveSchema(this.document, properties.type) : undefined;
    if (typeof typeProperty?.const === 'string' && properties.coordinates) {
      return geometry(typeProperty.const, random) as Record<string, unknown>;
    }
    const required = new Set((schema.required ?? []) as string[]);
    const value: Record<string, unknown> = {};
    for (const [name, property] of Object.entries(properties)) {
      if (required.has(name) || random.chance(0.5))
        value[name] = this.sample(property, random, name, depth + 1);
    }
    const additional = schema.additionalProperties;
    if (typeof additional === 'object' && additional !== null && Object.keys(properties).length === 0) {
      for (let i = random.int(0, 2); i > 0; i -= 1) {
        value[`k_${random.string(5)}`] = this.sample(additional as JsonSchema, random, '', depth + 1);
      }
    }
    return value;
  }
}
