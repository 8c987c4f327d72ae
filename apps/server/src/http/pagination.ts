import type { Page, PageQuery } from '@tidewatch/shared';
import { AppError } from './app-error.ts';

/** Cursors are the last row's id, opaque to clients. */
export function encodeCursor(id: string | bigint): string {
  return Buffer.from(String(id)).toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString();
  if (!/^[0-9a-f-]{1,36}$/i.test(id))
    throw new AppError('validation_failed', 'The cursor is not one this API gave out');
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
