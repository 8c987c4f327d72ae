/**
 * Whether an operation that failed may succeed if tried again as it is: the connection or the server went away
 * (restart, failover, terminated backend), the server is out of resources for a moment, or a transaction lost a
 * race. A constraint violation or a bug is not transient and must never be retried blindly.
 */
export function isTransientDatabaseError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    return (
      /^(08|53|57P|40)/.test(code) || ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(code)
    );
  }
  return (
    error instanceof Error &&
    /Connection terminated|connection timeout|Client has encountered a connection error/i.test(error.message)
  );
}

/** The SQLSTATE of an error from pg, or from Prisma's pg adapter (which keeps it in `meta.driverAdapterError`). */
function sqlState(error: object): string | undefined {
  const record = error as {
    code?: unknown;
    meta?: { driverAdapterError?: { cause?: { originalCode?: unknown } } };
  };
  const original = record.meta?.driverAdapterError?.cause?.originalCode;
  if (typeof original === 'string') return original;
  return typeof record.code === 'string' && /^[0-9A-Z]{5}$/.test(record.code) ? record.code : undefined;
}

/** 57014: statement timeout (or a cancel); 55P03: lock timeout; 25P03: idle-in-transaction timeout. */
const BUSY_STATES = new Set(['57014', '55P03', '25P03']);

/**
 * Whether the database was too busy to answer within its budget: a statement or lock timeout, no pooled
 * connection free within the pool's connect timeout, or a Prisma transaction that could not start or outlived its
 * timeout (P2028). Nothing was committed; the same work may succeed shortly, so callers answer 503 or retry.
 */
export function isDatabaseBusyError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const state = sqlState(error);
  if (state !== undefined && BUSY_STATES.has(state)) return true;
  if ((error as { code?: unknown }).code === 'P2028') return true;
  return error instanceof Error && /timeout exceeded when trying to connect/.test(error.message);
}

/**
 * Runs an idempotent database read, once more on a fresh connection if the first one had died.
 * @example const rows = await retryTransientOnce(() => pool.query('SELECT ...'));
 */
export async function retryTransientOnce<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (!isTransientDatabaseError(error)) throw error;
    return read();
  }
}

/** Away or busy: work not done now that may be done shortly. Ingest and the alert engine retry it with back-off. */
export function isRetryableDatabaseError(error: unknown): boolean {
  return isTransientDatabaseError(error) || isDatabaseBusyError(error);
}

/**
 * One line saying what the database answered, without a stack: what a warning about a busy or absent database
 * needs (Prisma's messages carry the calling code first and the database's words last).
 * @example log.warn({ reason: describeDatabaseError(error) }, 'request answered 503: database busy');
 */
export function describeDatabaseError(error: unknown): string {
  if (typeof error !== 'object' || error === null) return String(error);
  const message = error instanceof Error ? error.message : '';
  const lastLine = message.trim().split('\n').pop()?.trim() ?? '';
  const state = sqlState(error);
  const prismaCode = (error as { code?: unknown }).code;
  const code = state ?? (typeof prismaCode === 'string' ? prismaCode : undefined);
  return (code ? `${code}: ${lastLine}` : lastLine).slice(0, 240);
}
