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
