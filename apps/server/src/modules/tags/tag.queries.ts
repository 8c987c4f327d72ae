import type { TenantTransaction } from '@tidewatch/db';
import { splitTag } from '@tidewatch/shared';

/** A stored tag as the API writes it: `key`, or `key:value` when it has a value. */
export const tagTextSql = (t: string): string =>
  `(${t}.key || CASE WHEN ${t}.value = '' THEN '' ELSE ':' || ${t}.value END)`;

/** Whether a stored tag matches a filter: `key` matches every value of the key, `key:value` that tag only. */
export const tagMatchesSql = (t: string, param: string): string =>
  `(${t}.key = ${param}::text OR ${tagTextSql(t)} = ${param}::text)`;

const links = {
  asset: { table: 'asset_tags', column: 'asset_id' },
  device: { table: 'device_tags', column: 'device_id' },
} as const;
export type Tagged = keyof typeof links;

/** The tags of the row `<alias>.id` as a JSON array of strings in code-point order (as JavaScript sorts). */
export const tagsJsonSql = (kind: Tagged, alias: string): string =>
  `(SELECT coalesce(json_agg(${tagTextSql('tg')} ORDER BY ${tagTextSql('tg')} COLLATE "C"), '[]'::json)
      FROM ${links[kind].table} lk JOIN tags tg ON tg.id = lk.tag_id WHERE lk.${links[kind].column} = ${alias}.id)`;

/** Whether the row `<alias>.id` carries a tag matching `param`. */
export const hasTagSql = (kind: Tagged, alias: string, param: string): string =>
  `EXISTS (SELECT 1 FROM ${links[kind].table} lk JOIN tags tg ON tg.id = lk.tag_id
            WHERE lk.${links[kind].column} = ${alias}.id AND ${tagMatchesSql('tg', param)})`;

/**
 * Replaces the tags of an asset or device (of the tenant in context: row-level security keeps both the tags and the
 * links to it). Tags not in use yet are created.
 */
export async function setTags(
  tx: TenantTransaction,
  tenantId: string,
  kind: Tagged,
  id: string,
  tags: readonly string[],
): Promise<void> {
  const { table, column } = links[kind];
  const parts = tags.map(splitTag);
  const keys = parts.map((p) => p.key);
  const values = parts.map((p) => p.value);
  await tx.$executeRawUnsafe(`DELETE FROM ${table} WHERE ${column} = $1::uuid`, id);
  if (tags.length === 0) return;
  await tx.$executeRawUnsafe(
    `INSERT INTO tags (tenant_id, key, value)
     SELECT $1::uuid, k, v FROM unnest($2::text[], $3::text[]) AS n(k, v)
     ON CONFLICT (tenant_id, key, value) DO NOTHING`,
    tenantId,
    keys,
    values,
  );
  await tx.$executeRawUnsafe(
    `INSERT INTO ${table} (tenant_id, ${column}, tag_id)
     SELECT $1::uuid, $2::uuid, t.id FROM tags t JOIN unnest($3::text[], $4::text[]) AS n(k, v)
         ON t.key = n.k AND t.value = n.v`,
    tenantId,
    id,
    keys,
    values,
  );
}
