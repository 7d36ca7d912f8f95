// The records a simulated API serves: generated on demand from their index (deterministic, no storage), with every
// `invalidEvery`-th record broken in a vendor-specific way so that syncs count partly failed runs.

export interface DatasetSettings {
  totalRecords?: number;
  /** Every n-th record (1-based) is invalid; 0: none. */
  invalidEvery?: number;
  /** The largest page the API hands out, whatever the client asks. */
  maxPageSize?: number;
}

export class Dataset<T> {
  totalRecords = 1000;
  invalidEvery = 0;
  maxPageSize = 500;

  constructor(
    private readonly make: (index: number, invalid: boolean) => T,
    settings: DatasetSettings = {},
  ) {
    this.set(settings);
  }

  set(settings: DatasetSettings): void {
    const check = (value: number | undefined, name: string, min: number) => {
      if (value !== undefined && (!Number.isInteger(value) || value < min))
        throw new Error(`${name} must be a whole number >= ${min}`);
    };
    check(settings.totalRecords, 'totalRecords', 0);
    check(settings.invalidEvery, 'invalidEvery', 0);
    check(settings.maxPageSize, 'maxPageSize', 1);
    this.totalRecords = settings.totalRecords ?? this.totalRecords;
    this.invalidEvery = settings.invalidEvery ?? this.invalidEvery;
    this.maxPageSize = settings.maxPageSize ?? this.maxPageSize;
  }

  pageSize(requested: number | undefined): number {
    if (requested === undefined || !Number.isInteger(requested) || requested < 1)
      return Math.min(100, this.maxPageSize);
    return Math.min(requested, this.maxPageSize);
  }

  slice(offset: number, limit: number): T[] {
    const out: T[] = [];
    for (let i = offset; i < Math.min(this.totalRecords, offset + limit); i += 1) {
      out.push(this.make(i, this.invalidEvery > 0 && (i + 1) % this.invalidEvery === 0));
    }
    return out;
  }

  invalidCount(): number {
    return this.invalidEvery > 0 ? Math.floor(this.totalRecords / this.invalidEvery) : 0;
  }

  snapshot() {
    return { totalRecords: this.totalRecords, invalidEvery: this.invalidEvery, maxPageSize: this.maxPageSize };
  }
}

/** A date in 2026 for record i, as YYYY-MM-DD. */
export function dateFor(index: number): string {
  return new Date(Date.UTC(2026, 0, 1) + (index % 330) * 86_400_000).toISOString().slice(0, 10);
}

/** An amount in øre-precision for record i, as a decimal string. */
export function amountFor(index: number): string {
  return (((index * 7919) % 1_000_000) / 100 - 2500).toFixed(2);
}
