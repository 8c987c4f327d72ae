/** Latencies in 0.1 ms bins, kept sparse so client processes can send theirs to the parent cheaply. */
export class Histogram {
  constructor(readonly bins = new Map<number, number>()) {}

  static from(entries: readonly (readonly [number, number])[]): Histogram {
    return new Histogram(new Map(entries));
  }

  add(ms: number): void {
    const bin = Math.max(0, Math.round(ms * 10));
    this.bins.set(bin, (this.bins.get(bin) ?? 0) + 1);
  }

  merge(other: Histogram): void {
    for (const [bin, count] of other.bins) this.bins.set(bin, (this.bins.get(bin) ?? 0) + count);
  }

  get count(): number {
    let total = 0;
    for (const count of this.bins.values()) total += count;
    return total;
  }

  /** The value below which `fraction` of the samples fall, in ms. */
  percentile(fraction: number): number {
    const total = this.count;
    if (total === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(fraction * total));
    let seen = 0;
    for (const bin of [...this.bins.keys()].sort((a, b) => a - b)) {
      seen += this.bins.get(bin) ?? 0;
      if (seen >= rank) return bin / 10;
    }
    return Number.NaN;
  }

  summary(): { samples: number; p50: number; p90: number; p99: number; max: number } {
    return {
      samples: this.count,
      p50: this.percentile(0.5),
      p90: this.percentile(0.9),
      p99: this.percentile(0.99),
      max: this.percentile(1),
    };
  }

  toJSON(): [number, number][] {
    return [...this.bins];
  }
}

/** Epoch milliseconds with sub-millisecond precision, comparable across processes of one machine. */
export const preciseNow = (): number => performance.timeOrigin + performance.now();
