import pg from 'pg';

/** Rows read (or a change made) as the schema owner, behind the API's back: for arranging and checking tests. */
export async function adminQuery<T extends pg.QueryResultRow>(
  adminUrl: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}
