import { z } from 'zod';

export const uuidSchema = z.uuid();

/** A short human-readable text (a name, a title): no markup, no control characters. */
export const safeTextSchema = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .regex(/^[^<>\p{Cc}]*$/u, 'must not contain < > or control characters');

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether every text inside a JSON value (keys too) can be kept in PostgreSQL's jsonb: no U+0000, no lone surrogate. */
export function storableInJsonb(value: unknown): boolean {
  if (typeof value === 'string') return !value.includes('\u0000') && !LONE_SURROGATE.test(value);
  if (Array.isArray(value)) return value.every(storableInJsonb);
  if (value !== null && typeof value === 'object')
    return Object.entries(value).every(([key, inner]) => storableInJsonb(key) && storableInJsonb(inner));
  return true;
}

/** A free-form JSON object kept in a jsonb column (attributes, parameters). */
export const jsonbObjectSchema = <T extends z.ZodType>(values: T) =>
  z
    .record(z.string(), values)
    .refine(
      storableInJsonb,
      'must not contain U+0000 or an unpaired surrogate (PostgreSQL cannot store them)',
    );

/** An identifier people type and read (asset code, zone code, serial number). */
export const codeSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits and . _ - only, at most 64');
export const idParamsSchema = z.strictObject({ id: z.uuid() });
export type IdParams = z.infer<typeof idParamsSchema>;

export const timestampSchema = z.iso.datetime({ offset: true });

/**
 * Lists of rules, assets and zones show live rows; `archived=true` shows the archived ones instead (what a delete
 * kept because history names them).
 */
export const archivedQuerySchema = z
  .enum(['true', 'false'])
  .transform((v) => v === 'true')
  .optional()
  .describe('true: only archived rows (kept for the history that names them); default: only live ones');

/** When a row was archived, or null while it is live. */
export const archivedAtSchema = z.string().nullable();

/** A limit and an opaque cursor from the previous page's `nextCursor`. */
export const pageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,200}$/)
    .optional(),
});
export type PageQuery = z.infer<typeof pageQuerySchema>;

/** A page of a list: `nextCursor` is null on the last page. */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export const positionSchema = z
  .tuple([z.number().min(-180).max(180), z.number().min(-90).max(90)])
  .describe('[longitude, latitude] in WGS 84');

export const pointGeometrySchema = z.strictObject({ type: z.literal('Point'), coordinates: positionSchema });
export const lineStringGeometrySchema = z.strictObject({
  type: z.literal('LineString'),
  coordinates: z.array(positionSchema).min(2).max(10_000),
});
export const polygonGeometrySchema = z.strictObject({
  type: z.literal('Polygon'),
  coordinates: z.array(z.array(positionSchema).min(4).max(100_000)).min(1).max(1000),
});
export const multiPolygonGeometrySchema = z.strictObject({
  type: z.literal('MultiPolygon'),
  coordinates: z
    .array(z.array(z.array(positionSchema).min(4)).min(1))
    .min(1)
    .max(1000),
});
export const areaGeometrySchema = z.discriminatedUnion('type', [
  polygonGeometrySchema,
  multiPolygonGeometrySchema,
]);
export type AreaGeometry = z.infer<typeof areaGeometrySchema>;
