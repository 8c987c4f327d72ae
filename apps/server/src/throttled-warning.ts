import type { Logger } from './logger.ts';

/**
 * Warns at most once per reason per interval and counts the warnings it left out, reported with the next one: a
 * flood of bad packets or sign-ins would otherwise become a flood of log lines (metrics count every one).
 */
export class ThrottledWarning {
  private readonly lastWarned = new Map<string, { at: number; leftOut: number }>();

  constructor(
    private readonly log: Logger,
    private readonly message: string,
    private readonly intervalMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  warn(reason: string, details: Record<string, unknown> = {}): void {
    const now = this.now();
    const last = this.lastWarned.get(reason);
    if (last && now - last.at < this.intervalMs) {
      last.leftOut += 1;
      return;
    }
    this.lastWarned.set(reason, { at: now, leftOut: 0 });
    this.log.warn({ ...details, reason, leftOutSinceLastWarning: last?.leftOut ?? 0 }, this.message);
  }
}
