/** A FIFO async mutex: one SQLite connection, one user at a time (local transactions span messages). */
export class Lock {
  private tail: Promise<void> = Promise.resolve();
  private sharing = 0;
  /** performance.now() of the page's last query (noteQuery), -Infinity before any. */
  private lastQueryAt = -Infinity;

  /** Notes that the page asked for a query: sync work then takes shorter steps for a while (queriedWithin). */
  noteQuery(): void {
    this.lastQueryAt = performance.now();
  }

  /** Whether the page asked for a query in the last `ms` milliseconds. */
  queriedWithin(ms: number): boolean {
    return performance.now() - this.lastQueryAt < ms;
  }

  /**
   * Whether the holder lets read-only statements run while it waits (runSharing): the sync
   * engine's stores and merge slices, which write only the SDK's own tables (sl_*, temp shadows),
   * so a query of app tables sees the last published checkpoint, whether it runs inside their
   * open transaction or not.
   */
  get readersMayPass(): boolean {
    return this.sharing > 0;
  }

  /**
   * run() for a holder whose statements leave every app table as it was: while fn awaits (e.g.
   * between its statements, see yieldToEventLoop), read-only queries may run without the lock.
   * Writes still wait for the release.
   */
  async runSharing<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    this.sharing++;
    try {
      return await fn();
    } finally {
      this.sharing--;
      release();
    }
  }

  /** Resolves with a release function once every earlier holder has released. */
  acquire(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((r) => (release = r));
    const ready = this.tail.then(() => release);
    this.tail = this.tail.then(() => next);
    return ready;
  }

  async run<T>(fn: () => T | Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

let channel: MessageChannel | null = null;
const waiting: (() => void)[] = [];

/**
 * Resolves in a new task, after the messages already queued (the page's queries) have been handled.
 * A MessageChannel message rather than setTimeout(0), which browsers clamp to 4 ms when nested.
 * Without a worker scope (node tests) it is a plain timer.
 */
export function yieldToEventLoop(): Promise<void> {
  if (typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope === 'undefined') {
    return new Promise((r) => setTimeout(r, 0));
  }
  if (channel === null) {
    channel = new MessageChannel();
    channel.port1.onmessage = () => waiting.shift()?.();
  }
  return new Promise((r) => {
    waiting.push(r);
    channel!.port2.postMessage(null);
  });
}
