import pg from 'pg';
import { contextCallSql, type DbContext } from './tenant-context.ts';

/** A read run by `readInContext`: prepared once per connection under `name`, with `$1`… placeholders. */
export interface ReadStatement {
  readonly name: string;
  readonly text: string;
}

/** A parameter value: sent as an untyped literal, so PostgreSQL gives it the type the statement infers. */
export type ReadValue = string | number | bigint | boolean | null | readonly (string | number | null)[];

const NAME = /^[a-z][a-z0-9_]{0,62}$/;

/**
 * Declares a read for `readInContext`. The name must be unique per text: a connection keeps the first text it
 * prepared under a name.
 * @example
 * const zoneCount = readStatement('zone_count', 'SELECT count(*)::int AS n FROM zones WHERE kind = $1');
 */
export function readStatement(name: string, text: string): ReadStatement {
  if (!NAME.test(name)) throw new Error(`a read statement name must match ${String(NAME)}: ${name}`);
  return { name, text: text.trim() };
}

// pg's own array literal form (element text double-quoted, backslash and quote escaped).
function arrayText(values: readonly (string | number | null)[]): string {
  const elements = values.map((v) =>
    v === null ? 'NULL' : `"${String(v).replace(/[\\"]/g, (c) => `\\${c}`)}"`,
  );
  return `{${elements.join(',')}}`;
}

function literal(value: ReadValue): string {
  if (value === null) return 'NULL';
  return pg.escapeLiteral(Array.isArray(value) ? arrayText(value) : String(value));
}

/** The statement names each pooled connection has prepared; a discarded connection takes its set with it. */
const preparedOn = new WeakMap<pg.ClientBase, Set<string>>();

/**
 * Runs `statement` with `values` under row-level security for `context`, in one round trip: a single
 * simple-protocol message `SELECT app_set_context(...); [PREPARE ...;] EXECUTE name(...)`, which PostgreSQL runs
 * as one implicit transaction, so the transaction-local context holds for the read and ends with it.
 * @example
 * const rows = await readInContext<{ n: number }>(db.pool, context, zoneCount, ['district']);
 */
export async function readInContext<R extends pg.QueryResultRow>(
  pool: pg.Pool,
  context: DbContext,
  statement: ReadStatement,
  values: readonly ReadValue[],
): Promise<R[]> {
  const client = await pool.connect();
  let failure: Error | undefined;
  try {
    let names = preparedOn.get(client);
    if (!names) {
      names = new Set();
      preparedOn.set(client, names);
    }
    const fresh = !names.has(statement.name);
    const prepare = fresh ? `PREPARE ${statement.name} AS ${statement.text}; ` : '';
    const args = values.length > 0 ? `(${values.map(literal).join(', ')})` : '';
    const sql = `${contextCallSql(context)}; ${prepare}EXECUTE ${statement.name}${args}`;
    const results = (await client.query(sql)) as unknown as pg.QueryResult<R>[];
    if (fresh) names.add(statement.name);
    return results.at(-1)?.rows ?? [];
  } catch (error) {
    // Whether a failed message left its PREPARE behind is not known: the connection goes, and its names with it.
    failure = error instanceof Error ? error : new Error(String(error));
    throw error;
  } finally {
    client.release(failure);
  }
}
