import { pgCode } from '../database-errors.ts';

/**
 * Why the database refused one message's readings: `value_refused`, a value it cannot store (a data exception);
 * `series_gone`, a series or the device was removed, or moved to another tenant, since ingest loaded it;
 * `store_failed`, anything else.
 */
export type StoreRefusalReason = 'value_refused' | 'series_gone' | 'store_failed';

/**
 * The database refused these readings for a reason that sending them again cannot fix, and only these: the batch
 * they were written in was split until they failed alone, and every other message of it was stored.
 */
export class StoreRefusedError extends Error {
  readonly reason: StoreRefusalReason;

  constructor(failure: unknown) {
    super('The database refused these readings', { cause: failure });
    this.name = 'StoreRefusedError';
    this.reason = refusalReason(failure);
  }
}

function refusalReason(failure: unknown): StoreRefusalReason {
  const code = pgCode(failure) ?? '';
  // Row-level security (42501) or a foreign key (23503): the series or device is not the tenant's any more.
  if (code === '42501' || code === '23503') return 'series_gone';
  if (code.startsWith('22')) return 'value_refused';
  return 'store_failed';
}
