import type { ReadValue } from '@tidewatch/db';

/**
 * Collects WHERE conditions and their parameters for a hand-written query, numbering placeholders in order.
 * @example
 * const filter = new SqlFilter();
 * filter.where((zones) => `a.zone_id = ANY(${zones}::uuid[])`, zoneIds);
 * client.query(`SELECT ... ${filter.clause()} LIMIT ${filter.param(limit)}`, filter.params);
 */
export class SqlFilter {
  readonly params: ReadValue[] = [];
  private readonly conditions: string[] = [];

  /** A placeholder for one more parameter. */
  param(value: ReadValue): string {
    this.params.push(value);
    return `$${String(this.params.length)}`;
  }

  /** A condition over as many parameters as `values`, or none. */
  where(condition: (...placeholders: string[]) => string, ...values: ReadValue[]): void {
    this.conditions.push(condition(...values.map((value) => this.param(value))));
  }

  clause(): string {
    return this.conditions.length ? `WHERE ${this.conditions.join(' AND ')}` : '';
  }
}
