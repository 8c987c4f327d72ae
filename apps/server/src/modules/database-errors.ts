/** PostgreSQL error codes, as Prisma's driver adapter and pg surface them. */
export function pgCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const record = error as {
    code?: unknown;
    cause?: unknown;
    meta?: { driverAdapterError?: { cause?: { originalCode?: unknown; kind?: unknown } } };
  };
  const adapterCause = record.meta?.driverAdapterError?.cause;
  if (typeof adapterCause?.originalCode === 'string') return adapterCause.originalCode;
  if (record.code === 'P2002') return '23505';
  if (record.code === 'P2003') return '23503';
  if (typeof record.code === 'string' && /^[0-9A-Z]{5}$/.test(record.code)) return record.code;
  return record.cause === undefined ? undefined : pgCode(record.cause);
}

export const isUniqueViolation = (error: unknown): boolean => pgCode(error) === '23505';
export const isForeignKeyViolation = (error: unknown): boolean => pgCode(error) === '23503';
/** Text PostgreSQL cannot store: U+0000 in text (22021) or in jsonb (22P05). The client sent it; nothing was written. */
export const isUnstorableText = (error: unknown): boolean =>
  pgCode(error) === '22021' || pgCode(error) === '22P05';
/** A number the client sent that does not fit the column (22003), e.g. an id of 2^32: nothing was written. */
export const isNumberOutOfRange = (error: unknown): boolean => pgCode(error) === '22003';
export const isCheckViolation = (error: unknown): boolean =>
  pgCode(error) === '23514' || pgCode(error) === '23P01';

/** The transaction's session had ended when it began (app_set_session_context): the caller must sign in again. */
export const isEndedSession = (error: unknown): boolean => pgCode(error) === 'TW401';

/**
 * The transaction's principal no longer matched the database (app_set_session_context): a cached role, home
 * tenant or zone set was changed a moment ago, perhaps on another instance. Nothing in the transaction ran.
 */
export const isChangedAuthority = (error: unknown): boolean => pgCode(error) === 'TW409';

/**
 * Prisma's "record to update or delete not found" (P2025): the row was there when the request read it and another
 * request removed it before this one wrote. Nothing was written.
 */
export const isVanishedRecord = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'P2025';
