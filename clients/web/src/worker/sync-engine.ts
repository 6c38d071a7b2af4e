/**
 * The I/O shell around the pure sync state machine: opens the HTTP NDJSON stream, feeds its lines
 * to the machine one at a time, and performs the actions it returns against SQLite and timers.
 */
import { parseLine } from '../protocol/lines.js';
import type { Schema } from '../storage/schema.js';
import type { SqlDb } from '../storage/sql-db.js';
import { applyCheckpoint, loadBuckets, removeBuckets, storeLines, type StoredLine } from '../storage/sync-store.js';
import { pendingCount } from '../storage/upload-queue.js';
import { initialState, step, type SyncAction, type SyncEvent, type SyncState } from '../sync/state.js';
import { ndjsonLines } from '../sync/ndjson.js';
import type { Lock } from './lock.js';

export interface EngineHooks {
  credentials(refresh: boolean): Promise<string>;
  tablesChanged(tables: string[]): void;
  statusChanged(): void;
  /** A checkpoint was applied (uploads may now need a new write checkpoint, status changed). */
  applied(): void;
}

/**
 * Data lines are stored several per transaction: each commit costs a fixed number of file writes
 * (journal header, journaled pages, database header), and in Chromium every write to OPFS is a
 * call of a few milliseconds. A batch is stored when it holds this many ops, before any other
 * action, or when no further line came for STORE_IDLE_MS.
 */
export const STORE_BATCH_OPS = 10_000;
const STORE_IDLE_MS = 20;

export class SyncEngine {
  state: SyncState;
  endpoint = '';
  private generation = 0;
  private abort: AbortController | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private actions: Promise<void> = Promise.resolve();
  private batch: StoredLine[] = [];
  private batchOps = 0;
  private batchTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly db: SqlDb,
    private readonly lock: Lock,
    private readonly schema: Schema,
    private readonly clientId: string,
    private readonly hooks: EngineHooks,
  ) {
    this.state = initialState(loadBuckets(db), pendingCount(db) === 0);
  }

  /** Steps the machine synchronously (so event order is the call order); its actions run in order. */
  dispatch(event: SyncEvent): Promise<void> {
    const { state, actions } = step(this.state, event);
    this.state = state;
    this.hooks.statusChanged();
    const done = this.actions.then(() => this.perform(actions));
    this.actions = done.catch((e) => console.error('[syncline] sync action failed', e));
    return this.actions;
  }

  private async perform(actions: SyncAction[]): Promise<void> {
    for (const a of actions) {
      if (a.type === 'store') {
        this.batch.push({ bucket: a.bucket, ops: a.ops, local: a.local });
        this.batchOps += a.ops.length;
        if (this.batchOps >= STORE_BATCH_OPS) {
          await this.storeBatch();
        } else {
          if (this.batchTimer !== null) clearTimeout(this.batchTimer);
          this.batchTimer = setTimeout(() => {
            this.batchTimer = null;
            this.actions = this.actions.then(() => this.storeBatch()).catch((e) => console.error('[syncline] sync action failed', e));
          }, STORE_IDLE_MS);
        }
        continue;
      }
      // Every other action sees the lines that came before it stored.
      await this.storeBatch();
      switch (a.type) {
        case 'open':
          this.open(a.buckets, a.refreshCredentials);
          break;
        case 'close':
          this.closeStream();
          break;
        case 'schedule':
          if (this.timer !== null) clearTimeout(this.timer);
          this.timer = setTimeout(() => {
            this.timer = null;
            void this.dispatch({ type: 'retry' });
          }, a.delayMs);
          break;
        case 'removeBuckets':
          await this.lock.run(() => removeBuckets(this.db, a.buckets));
          break;
        case 'apply': {
          const changed = await this.lock.run(() => applyCheckpoint(this.db, this.schema, a));
          if (changed.length > 0) this.hooks.tablesChanged(changed);
          this.hooks.applied();
          break;
        }
        case 'prefetchCredentials':
          this.hooks.credentials(true).catch(() => undefined);
          break;
        case 'protocolError':
          console.warn(`[syncline] protocol error: ${a.message}`);
          break;
      }
    }
  }

  private async storeBatch(): Promise<void> {
    if (this.batchTimer !== null) clearTimeout(this.batchTimer);
    this.batchTimer = null;
    const lines = this.batch;
    this.batch = [];
    this.batchOps = 0;
    if (lines.length > 0) await this.lock.run(() => storeLines(this.db, lines));
  }

  private closeStream(): void {
    this.generation++;
    this.abort?.abort();
    this.abort = null;
  }

  private open(buckets: { name: string; after: string }[], refresh: boolean): void {
    this.closeStream();
    const generation = this.generation;
    const abort = new AbortController();
    this.abort = abort;
    const current = () => generation === this.generation;
    void (async () => {
      try {
        const token = await this.hooks.credentials(refresh);
        const response = await fetch(`${this.endpoint}/sync/stream`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/x-ndjson' },
          body: JSON.stringify({ buckets, client_id: this.clientId, include_checksum: true, raw_data: true, parameters: {} }),
          signal: abort.signal,
        });
        if (!current()) return;
        if (!response.ok || response.body === null) {
          const text = await response.text().catch(() => '');
          await this.dispatch({ type: 'streamFailed', status: response.status, message: `sync stream: HTTP ${response.status} ${text}`.trim(), jitter: Math.random() });
          return;
        }
        await this.dispatch({ type: 'opened' });
        for await (const value of ndjsonLines(response.body)) {
          if (!current()) return;
          await this.dispatch({ type: 'line', line: parseLine(value), now: Date.now() });
        }
        if (current()) await this.dispatch({ type: 'streamEnded', jitter: Math.random() });
      } catch (e) {
        if (!current()) return;
        await this.dispatch({ type: 'streamFailed', status: null, message: `sync stream: ${(e as Error).message}`, jitter: Math.random() });
      }
    })();
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    void this.dispatch({ type: 'stop' });
  }
}
