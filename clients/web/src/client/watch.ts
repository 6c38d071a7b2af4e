/**
 * Live queries: a query re-runs when a table it reads changes. Changes arriving while it runs
 * mark it dirty, so a burst of writes costs at most one extra run (coalesced).
 */
export class WatchedQuery<T> {
  private running = false;
  private dirty = false;
  private closed = false;

  constructor(
    readonly tables: ReadonlySet<string>,
    private readonly run: () => Promise<T>,
    private readonly onResult: (result: T) => void,
    private readonly onError: (error: Error) => void,
  ) {}

  /** Called with the tables a write or an applied checkpoint changed. */
  changed(tables: readonly string[]): void {
    if (tables.some((t) => this.tables.has(t))) this.refresh();
  }

  refresh(): void {
    if (this.closed) return;
    if (this.running) {
      this.dirty = true;
      return;
    }
    this.running = true;
    void (async () => {
      try {
        do {
          this.dirty = false;
          const result = await this.run();
          if (!this.closed && !this.dirty) this.onResult(result);
        } while (this.dirty && !this.closed);
      } catch (e) {
        if (!this.closed) this.onError(e as Error);
      } finally {
        this.running = false;
      }
    })();
  }

  close(): void {
    this.closed = true;
  }
}
