import type { Page, PageQuery } from '@tidewatch/shared';
import { AppError } from './app-error.ts';

/** Cursors are the last row's id, opaque to clients. */
export function encodeCursor(id: string | bigint): string {
  return Buffer.from(String(id)).toString('base64url');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SEQUENCE = /^[1-9][0-9]{0,18}$/;
const MAX_BIGINT = 9_223_372_036_854_775_807n;

const forged = () => new AppError('validation_failed', 'The cursor is not one this API gave out');

/**
 * The id inside a cursor, accepted only in the exact spelling `encodeCursor` gives out: anything else would reach
 * the database as a bad cast (a 500) or name a row the client made up.
 */
function decoded(cursor: string, shape: RegExp): string {
  const id = Buffer.from(cursor, 'base64url').toString();
  if (!shape.test(id) || encodeCursor(id) !== cursor) throw forged();
  return id;
}

/** The uuid in a cursor of a list ordered by uuid. */
export function decodeCursor(cursor: string): string {
  return decoded(cursor, UUID);
}

/** The bigint in a cursor of a list ordered by a sequence (the audit log). */
export function decodeSequenceCursor(cursor: string): bigint {
  const id = BigInt(decoded(cursor, SEQUENCE));
  if (id > MAX_BIGINT) throw forged();
  return id;
}

/** Prisma arguments for one page: one row more than asked, to know whether another page follows. */
export function pageArgs(query: PageQuery): { take: number; cursor?: { id: string }; skip?: number } {
  return query.cursor
    ? { take: query.limit + 1, cursor: { id: decodeCursor(query.cursor) }, skip: 1 }
    : { take: query.limit + 1 };
}

export function toPage<Row extends { id: string | bigint }, Item>(
  rows: readonly Row[],
  query: PageQuery,
  map: (row: Row) => Item,
): Page<Item> {
  const more = rows.length > query.limit;
  const items = more ? rows.slice(0, query.limit) : rows;
  const last = items.at(-1);
  return { items: items.map(map), nextCursor: more && last ? encodeCursor(last.id) : null };
}
