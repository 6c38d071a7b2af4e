/**
 * Sends the upload queue to POST /api/upload in order, drops what the server settled, reports
 * rejected transactions, and once the queue is empty asks for a write checkpoint so downloads
 * wait until the server's state includes these writes (DESIGN.md §7).
 */
import type { RejectedTransaction } from '../protocol/rpc.js';
import type { SqlDb } from '../storage/sql-db.js';
import { oldestTransactions, pendingCount, removeTransactions } from '../storage/upload-queue.js';
import { backoffMs } from '../sync/state.js';
import { decide, parseOutcomes } from '../sync/upload-outcomes.js';
import type { Lock } from './lock.js';
import type { SyncEngine } from './sync-engine.js';

const BATCH_TRANSACTIONS = 50;

export interface UploaderHooks {
  credentials(refresh: boolean): Promise<string>;
  rejected(tx: RejectedTransaction): void;
  statusChanged(): void;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export class Uploader {
  uploading = false;
  lastError: string | null = null;
  private running = false;
  private again = false;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private refresh = false;

  constructor(
    private readonly db: SqlDb,
    private readonly lock: Lock,
    private readonly engine: SyncEngine,
    private readonly clientId: string,
    private readonly hooks: UploaderHooks,
  ) {}

  /** Something was written (or the connection came back): upload when possible. */
  trigger(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    void this.run();
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private canRun(): boolean {
    const s = this.engine.state;
    return s.wanted && s.online && this.engine.endpoint !== '';
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      do {
        this.again = false;
        if (!this.canRun()) return;
        await this.drain();
      } while (this.again);
      this.attempt = 0;
      this.lastError = null;
    } catch (e) {
      this.lastError = `upload: ${(e as Error).message}`;
      if (e instanceof HttpError && e.status === 401) this.refresh = true;
      const delay = backoffMs(this.attempt++, Math.random());
      this.timer = setTimeout(() => {
        this.timer = null;
        this.trigger();
      }, delay);
    } finally {
      this.running = false;
      this.uploading = false;
      this.hooks.statusChanged();
    }
  }

  private async drain(): Promise<void> {
    let sent = false;
    for (;;) {
      const batch = await this.lock.run(() => oldestTransactions(this.db, BATCH_TRANSACTIONS));
      if (batch.length === 0) break;
      this.uploading = true;
      this.hooks.statusChanged();
      const body = await this.post('/api/upload', { client_id: this.clientId, transactions: batch });
      const decision = decide(batch.map((t) => t.tx_id), parseOutcomes(body));
      await this.lock.run(() => removeTransactions(this.db, decision.done));
      sent = true;
      for (const r of decision.rejected) {
        const tx = batch.find((t) => t.tx_id === r.tx_id);
        this.hooks.rejected({ tx_id: r.tx_id, code: r.code ?? 'REJECTED', message: r.message ?? 'rejected by the server', ops: tx?.ops ?? [] });
      }
      if (decision.retry) throw new Error('the server asked to retry a transaction later');
    }
    if (!sent && this.engine.state.crudEmpty) return;
    const body = (await this.get(`/write-checkpoint2.json?client_id=${encodeURIComponent(this.clientId)}`)) as {
      data?: { write_checkpoint?: unknown };
    };
    const wc = body.data?.write_checkpoint;
    if (typeof wc !== 'string') throw new Error(`write checkpoint response without data.write_checkpoint: ${JSON.stringify(body)}`);
    // Checked and announced under the lock, so no local write can slip in between.
    await this.lock.run(() => {
      if (pendingCount(this.db) === 0) void this.engine.dispatch({ type: 'uploaded', writeCheckpoint: wc });
      else this.again = true;
    });
  }

  private async request(path: string, init: RequestInit): Promise<unknown> {
    const token = await this.hooks.credentials(this.refresh);
    this.refresh = false;
    const response = await fetch(`${this.engine.endpoint}${path}`, {
      ...init,
      headers: { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${token}` },
    });
    const text = await response.text();
    if (!response.ok) throw new HttpError(response.status, `${path}: HTTP ${response.status} ${text}`.trim());
    return JSON.parse(text) as unknown;
  }

  private post(path: string, body: unknown): Promise<unknown> {
    return this.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  }

  private get(path: string): Promise<unknown> {
    return this.request(path, { method: 'GET' });
  }
}
