/** One thing a run found wrong, with what it takes to replay it. */
export interface Finding {
  readonly category: string;
  readonly caseIndex: number;
  readonly kind: string;
  readonly request: string;
  readonly status: number | null;
  readonly detail: string;
}

/** Counts everything and keeps the first few findings of each category, so a bad run stays readable. */
export class FindingLog {
  readonly counts: Record<string, number> = {};
  readonly samples: Finding[] = [];

  add(finding: Finding): void {
    const seen = this.counts[finding.category] ?? 0;
    this.counts[finding.category] = seen + 1;
    if (seen < 5) this.samples.push(finding);
  }

  count(category: string): number {
    return this.counts[category] ?? 0;
  }

  /** The findings as lines, for an assertion message. */
  describe(categories: readonly string[]): string[] {
    return this.samples
      .filter((f) => categories.includes(f.category))
      .map(
        (f) =>
          `${f.category} #${String(f.caseIndex)} ${f.kind} ${f.request} -> ${String(f.status)}: ${f.detail}`,
      );
  }
}

/** Counts by key. */
export class Tally {
  readonly counts: Record<string, number> = {};

  add(key: string, by = 1): void {
    this.counts[key] = (this.counts[key] ?? 0) + by;
  }
}
