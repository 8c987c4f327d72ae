import type pg from 'pg';
import { APPLICATION_ROLE } from '../src/config.ts';

/**
 * History the application appends to and never deletes: an alarm's life, an incident's timeline, what was sent to
 * a device and when it was away, and the audit log.
 */
export const HISTORY_TABLES = [
  'alerts',
  'alert_transitions',
  'incidents',
  'incident_alerts',
  'incident_notes',
  'maintenance_logs',
  'device_commands',
  'device_downtimes',
  'audit_log',
] as const;

/** Who a grant names, as the snapshot spells it: the owner is `owner` whatever its name, 0 is PUBLIC. */
const granteeName = `CASE WHEN acl.grantee = 0 THEN 'PUBLIC'
                          WHEN acl.grantee = owner_oid THEN 'owner'
                          ELSE pg_get_userbyid(acl.grantee) END`;

async function lines(client: pg.Client, sql: string, values: unknown[] = []): Promise<string[]> {
  const { rows } = await client.query<{ line: string }>(sql, values);
  return rows.map((row) => row.line);
}

/** Table, view and sequence rights of everyone but the owner (partitions go with their parent). */
function relationGrants(client: pg.Client): Promise<string[]> {
  return lines(
    client,
    `WITH rel AS (
       SELECT c.oid, c.relname, c.relkind, c.relowner AS owner_oid, c.relacl
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND NOT c.relispartition
     )
     SELECT format('%s %s: %s %s', CASE WHEN relkind = 'S' THEN 'sequence' ELSE 'table' END, relname, grantee,
                   string_agg(privilege_type, ', ' ORDER BY privilege_type)) AS line
       FROM (SELECT rel.relname, rel.relkind, ${granteeName} AS grantee, acl.privilege_type
               FROM rel, aclexplode(rel.relacl) acl) g
      WHERE grantee <> 'owner'
      GROUP BY relname, relkind, grantee
      ORDER BY 1`,
  );
}

/** Rights given on single columns rather than whole tables. */
function columnGrants(client: pg.Client): Promise<string[]> {
  return lines(
    client,
    `WITH col AS (
       SELECT c.relname, a.attname, a.attnum, c.relowner AS owner_oid, a.attacl
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND a.attacl IS NOT NULL AND NOT a.attisdropped AND NOT c.relispartition
     )
     SELECT format('columns %s: %s %s (%s)', relname, grantee, privilege_type,
                   string_agg(attname, ', ' ORDER BY attname)) AS line
       FROM (SELECT col.relname, col.attname, ${granteeName} AS grantee, acl.privilege_type
               FROM col, aclexplode(col.attacl) acl) g
      WHERE grantee <> 'owner'
      GROUP BY relname, grantee, privilege_type
      ORDER BY 1`,
  );
}

/**
 * Every function of the project itself (schema public, not from an extension) with who may call it and how it
 * runs; and every extension function whose rights differ from the default or that runs as its owner or is marked
 * leakproof (the defaults of an extension's hundreds of functions are its own business).
 */
function functions(client: pg.Client): Promise<string[]> {
  return lines(
    client,
    `WITH f AS (
       SELECT p.oid, p.oid::regprocedure::text AS signature, p.proowner AS owner_oid, p.prosecdef, p.proleakproof,
              p.proconfig, coalesce(p.proacl, acldefault('f', p.proowner)) AS acl,
              (SELECT e.extname FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
                WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e') AS extension,
              p.proacl IS NULL AS default_acl
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'public'
     )
     SELECT format('%s %s: execute by %s%s%s%s',
                   CASE WHEN extension IS NULL THEN 'function' ELSE 'function of ' || extension END, signature,
                   coalesce((SELECT string_agg(${granteeName}, ', ' ORDER BY ${granteeName})
                               FROM aclexplode(acl) acl WHERE acl.privilege_type = 'EXECUTE'), 'nobody'),
                   CASE WHEN prosecdef THEN '; SECURITY DEFINER' ELSE '' END,
                   CASE WHEN proleakproof THEN '; LEAKPROOF' ELSE '' END,
                   CASE WHEN proconfig IS NULL THEN '' ELSE '; SET ' || array_to_string(proconfig, ', ') END) AS line
       FROM f
      WHERE extension IS NULL OR NOT default_acl OR prosecdef OR proleakproof
      ORDER BY 1`,
  );
}

/** LEAKPROOF and SECURITY DEFINER functions anywhere outside PostgreSQL's own catalog. */
function markedFunctionsElsewhere(client: pg.Client): Promise<string[]> {
  return lines(
    client,
    `SELECT format('function %s.%s:%s%s', n.nspname, p.oid::regprocedure,
                   CASE WHEN p.prosecdef THEN ' SECURITY DEFINER' ELSE '' END,
                   CASE WHEN p.proleakproof THEN ' LEAKPROOF' ELSE '' END) AS line
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname NOT IN ('public', 'pg_catalog', 'information_schema') AND (p.prosecdef OR p.proleakproof)
      ORDER BY 1`,
  );
}

/** Who may create in, or use, each schema (system schemas aside), and what the database allows everyone. */
async function schemaAndDatabaseRights(client: pg.Client): Promise<string[]> {
  const schemas = await lines(
    client,
    `SELECT format('schema %s: %s %s', nspname, grantee, string_agg(privilege_type, ', ' ORDER BY privilege_type)) AS line
       FROM (SELECT n.nspname, acl.privilege_type,
                    CASE WHEN acl.grantee = 0 THEN 'PUBLIC' WHEN acl.grantee = n.nspowner THEN 'owner'
                         ELSE pg_get_userbyid(acl.grantee) END AS grantee
               FROM pg_namespace n, aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) acl
              WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema') g
      WHERE grantee <> 'owner'
      GROUP BY nspname, grantee
      ORDER BY 1`,
  );
  const database = await lines(
    client,
    `SELECT format('database: %s %s', who,
                   concat_ws(', ', CASE WHEN has_database_privilege(who, current_database(), 'CONNECT') THEN 'CONNECT' END,
                             CASE WHEN has_database_privilege(who, current_database(), 'CREATE') THEN 'CREATE' END,
                             CASE WHEN has_database_privilege(who, current_database(), 'TEMPORARY') THEN 'TEMPORARY' END)) AS line
       FROM unnest(ARRAY['public', $1]) AS who
      ORDER BY 1`,
    [APPLICATION_ROLE],
  );
  return [...schemas, ...database];
}

interface ForeignKey {
  readonly table: string;
  readonly references: string;
  readonly name: string;
  /** `a` no action, `r` restrict, `c` cascade, `n` set null, `d` set default. */
  readonly onDelete: string;
  readonly columns: string;
}

export async function foreignKeys(client: pg.Client): Promise<ForeignKey[]> {
  const { rows } = await client.query<ForeignKey>(
    `SELECT c.conrelid::regclass::text AS "table", c.confrelid::regclass::text AS "references", c.conname AS name,
            c.confdeltype AS "onDelete",
            (SELECT string_agg(a.attname, ', ' ORDER BY k.n) FROM unnest(c.conkey) WITH ORDINALITY k (attnum, n)
               JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum) AS columns
       FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
      WHERE c.contype = 'f' AND n.nspname = 'public'
      ORDER BY 1, 3`,
  );
  return rows;
}

const actionNames: Record<string, string> = {
  a: 'NO ACTION',
  r: 'RESTRICT',
  c: 'CASCADE',
  n: 'SET NULL',
  d: 'SET DEFAULT',
};

/**
 * Every way deleting a row somewhere deletes or blanks a row of `targets`: chains of ON DELETE CASCADE ending in
 * a CASCADE, SET NULL or SET DEFAULT into a target table. Each path reads `tenants -> alerts.tenant_id (CASCADE)`.
 */
export function cascadePaths(keys: readonly ForeignKey[], targets: readonly string[]): string[] {
  const acting = keys.filter((key) => key.onDelete === 'c' || key.onDelete === 'n' || key.onDelete === 'd');
  const into = new Map<string, ForeignKey[]>();
  for (const key of acting) into.set(key.references, [...(into.get(key.references) ?? []), key]);
  const paths: string[] = [];
  const walk = (table: string, trail: readonly string[], seen: ReadonlySet<string>): void => {
    for (const key of into.get(table) ?? []) {
      const step = `${key.table}.${key.columns} (${actionNames[key.onDelete] ?? key.onDelete})`;
      if (targets.includes(key.table)) paths.push([...trail, step].join(' -> '));
      // Only a cascade deletes rows, and so goes on; SET NULL changes the row and stops there.
      if (key.onDelete === 'c' && !seen.has(key.table)) {
        walk(key.table, [...trail, step], new Set([...seen, key.table]));
      }
    }
  };
  for (const table of new Set(keys.map((key) => key.references))) walk(table, [table], new Set([table]));
  return [...new Set(paths)].sort();
}

/** The whole privilege picture of the database as one text, section by section. */
export async function privilegeSnapshot(client: pg.Client): Promise<string> {
  const keys = await foreignKeys(client);
  const historyKeys = keys
    .filter((key) => (HISTORY_TABLES as readonly string[]).includes(key.table))
    .map(
      (key) =>
        `foreign key ${key.table} (${key.columns}) -> ${key.references}: ON DELETE ${actionNames[key.onDelete] ?? key.onDelete}`,
    );
  const sections: [string, string[]][] = [
    ['Tables, views and sequences: rights of roles other than the owner', await relationGrants(client)],
    ['Rights on single columns', await columnGrants(client)],
    [
      "Functions in schema public: the project's own, and extension functions with other than default rights",
      await functions(client),
    ],
    ['SECURITY DEFINER and LEAKPROOF functions in other schemas', await markedFunctionsElsewhere(client)],
    ['Schemas and the database: rights of roles other than the owner', await schemaAndDatabaseRights(client)],
    ['Foreign keys of history tables', historyKeys],
    [
      'Paths by which a delete elsewhere deletes or blanks history (CASCADE, SET NULL)',
      cascadePaths(keys, HISTORY_TABLES),
    ],
  ];
  return sections
    .map(([title, body]) => `-- ${title}\n${body.length > 0 ? body.join('\n') : '(none)'}\n`)
    .join('\n');
}
