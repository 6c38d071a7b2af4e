/**
 * SynclineDatabase: the app's handle on the local database. Every call is a message to the
 * database worker (never blocking the main thread); reads and writes are plain SQL on the
 * tables the schema declares; connect() starts sync and uploads.
 */
import type { InitResult, Notification, Params, RejectedTransaction, ResultRow, SyncStatus } from '../protocol/rpc.js';
import type { Schema } from '../storage/schema.js';
import { RpcClient, type Port } from './rpc-client.js';
import { syncStream, withForStream, type StreamHost, type SyncStream, type SyncStatusView } from './sync-stream.js';
import { TabPort } from './tab-port.js';
import { WatchedQuery } from './watch.js';

export interface DatabaseOptions {
  schema: Schema;
  /** File name of the database in OPFS (one per origin and name). */
  dbName?: string;
  /** 'auto' (OPFS, falling back to memory) or 'memory'. */
  storage?: 'auto' | 'memory';
  /** URL of dist/worker.js when the bundler moved it; defaults to the file beside this module. */
  workerUrl?: string | URL;
  /**
   * Share one database between the tabs of this origin (default: on where Web Locks and
   * BroadcastChannel exist). Off: every tab opens its own worker, and a second tab cannot use OPFS.
   */
  multiTab?: boolean;
}

export interface ConnectOptions {
  /** Base URL of the Syncline server, e.g. https://sync.example.com */
  endpoint: string;
  /** Returns a JWT for the current user; called again with refresh=true when the server refuses or the token expires. */
  fetchCredentials: (refresh: boolean) => Promise<{ token: string }>;
}

export interface Transaction {
  execute(sql: string, params?: Params): Promise<{ changes: number; rows: ResultRow[] }>;
  getAll<T = ResultRow>(sql: string, params?: Params): Promise<T[]>;
}

export interface WatchOptions {
  /** Tables the query reads, when the automatic detection (EXPLAIN) should be bypassed. */
  tables?: string[];
  onError?: (error: Error) => void;
}

const INITIAL_STATUS: SyncStatus = {
  connected: false,
  connecting: false,
  downloading: null,
  uploading: false,
  pendingUploads: 0,
  hasSynced: false,
  lastSyncedAt: null,
  lastError: null,
  online: true,
  syncStreams: [],
};

export class SynclineDatabase {
  /** The latest sync status; `status.forStream(sub)` finds a stream subscription's status. */
  status: SyncStatusView = withForStream(INITIAL_STATUS);
  /** Where the data lives after init(): 'opfs-sahpool' (persistent) or 'memory' (lost on reload). */
  storage: InitResult['storage'] | null = null;
  storageWarning: string | null = null;
  clientId: string | null = null;

  private readonly rpc: RpcClient;
  private readonly worker: Worker | null;
  private readonly tabs: TabPort | null = null;
  private readonly watches = new Set<WatchedQuery<unknown>>();
  private readonly statusListeners = new Set<(s: SyncStatusView) => void>();
  private readonly rejectedListeners = new Set<(tx: RejectedTransaction) => void>();
  /** Stream subscription handles this page holds (replayed when another tab's worker takes over). */
  private readonly streamHandles: StreamHost['handles'] = new Map();
  private readonly pageId = typeof crypto !== 'undefined' && 'randomUUID' in crypto ? crypto.randomUUID() : String(Math.random());
  private nextHandle = 1;
  private initialised: Promise<InitResult> | null = null;
  private connector: ConnectOptions | null = null;
  private readonly onlineListener = () => void this.rpc.call('setOnline', navigator.onLine).catch(() => undefined);

  constructor(private readonly options: DatabaseOptions, port?: Port) {
    const createWorker = () =>
      new Worker(options.workerUrl ?? new URL('./worker.js', import.meta.url), { type: 'module', name: 'syncline-db' });
    const shared = options.multiTab ?? (typeof navigator !== 'undefined' && 'locks' in navigator && typeof BroadcastChannel !== 'undefined');
    this.worker = null;
    if (port === undefined && shared) {
      this.tabs = new TabPort(`syncline:${options.dbName ?? 'syncline.db'}`, createWorker, {
        becameLeader: () => this.becameLeader(),
        leaderChanged: () => {
          this.rpc.failAll(new Error('the tab that held the database closed; retry the call'));
          this.replaySubscriptions();
        },
      });
      port = this.tabs;
    } else if (port === undefined) {
      this.worker = createWorker();
      port = this.worker as unknown as Port;
    }
    this.rpc = new RpcClient(port, (n) => this.notified(n));
  }

  /** Whether this tab runs the database worker (and the sync connection) for all tabs. */
  get isLeader(): boolean {
    return this.tabs === null || this.tabs.isLeader;
  }

  private initArgs() {
    return { schema: this.options.schema.toJSON(), dbName: this.options.dbName ?? 'syncline.db', storage: this.options.storage ?? 'auto' };
  }

  /** This tab took over the database: open it in our worker and resume sync where the app asked for it. */
  private becameLeader(): void {
    if (this.initialised === null) return; // init() not called yet: it will reach our worker
    void this.rpc
      .call('init', this.initArgs())
      .then((r) => {
        this.storage = r.storage;
        this.storageWarning = r.warning;
        this.replaySubscriptions();
        if (this.connector !== null) return this.rpc.call('connect', this.connector.endpoint);
        return undefined;
      })
      .catch((e) => console.error('[syncline] taking over the database failed', e));
  }

  /** Opens the database (creating tables); every other call waits for it. */
  init(): Promise<InitResult> {
    this.initialised ??= this.rpc
      .call('init', this.initArgs())
      .then((r) => {
        this.storage = r.storage;
        this.storageWarning = r.warning;
        this.clientId = r.clientId;
        return r;
      });
    return this.initialised;
  }

  private async ready(): Promise<void> {
    await this.init();
  }

  async getAll<T = ResultRow>(sql: string, params: Params = []): Promise<T[]> {
    await this.ready();
    return (await this.rpc.call('query', sql, params, null)) as T[];
  }

  async getOptional<T = ResultRow>(sql: string, params: Params = []): Promise<T | null> {
    return (await this.getAll<T>(sql, params))[0] ?? null;
  }

  /** Runs one statement as its own local transaction (writes are queued for upload). */
  async execute(sql: string, params: Params = []): Promise<{ changes: number; rows: ResultRow[] }> {
    await this.ready();
    return this.rpc.call('execute', sql, params, null);
  }

  /** Runs fn in one local transaction: all its writes commit together and upload as one transaction. */
  async writeTransaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    await this.ready();
    const id = await this.rpc.call('begin');
    const tx: Transaction = {
      execute: (sql, params = []) => this.rpc.call('execute', sql, params, id),
      getAll: async <R = ResultRow>(sql: string, params: Params = []) => (await this.rpc.call('query', sql, params, id)) as R[],
    };
    try {
      const result = await fn(tx);
      await this.rpc.call('commit', id);
      return result;
    } catch (e) {
      await this.rpc.call('rollback', id).catch(() => undefined);
      throw e;
    }
  }

  /** Calls cb with the query's rows now and whenever a table it reads changes. Returns a function that stops watching. */
  watch<T = ResultRow>(sql: string, params: Params, cb: (rows: T[]) => void, options: WatchOptions = {}): () => void {
    let query: WatchedQuery<T[]> | null = null;
    let stopped = false;
    const onError = options.onError ?? ((e: Error) => console.error('[syncline] watched query failed', e));
    void (async () => {
      await this.ready();
      const tables = options.tables ?? (await this.rpc.call('tablesRead', sql));
      if (stopped) return;
      query = new WatchedQuery<T[]>(new Set(tables), () => this.getAll<T>(sql, params), cb, onError);
      this.watches.add(query as WatchedQuery<unknown>);
      query.refresh();
    })().catch(onError);
    return () => {
      stopped = true;
      if (query !== null) {
        query.close();
        this.watches.delete(query as WatchedQuery<unknown>);
      }
    };
  }

  /** Starts syncing (and uploading) with the server; safe to call again with new options. */
  async connect(connector: ConnectOptions): Promise<void> {
    await this.ready();
    this.connector = connector;
    if (typeof window !== 'undefined') {
      window.addEventListener('online', this.onlineListener);
      window.addEventListener('offline', this.onlineListener);
    }
    await this.rpc.call('connect', connector.endpoint);
  }

  async disconnect(): Promise<void> {
    await this.ready();
    await this.rpc.call('disconnect');
  }

  /** Overrides the browser's online flag (e.g. an "offline" switch in the app). */
  async setOnline(online: boolean): Promise<void> {
    await this.ready();
    await this.rpc.call('setOnline', online);
  }

  /** PowerSync's name for {@link status}. */
  get currentStatus(): SyncStatusView {
    return this.status;
  }

  /**
   * A Sync Stream of the server's config, with these subscription parameters:
   * `const sub = await db.syncStream('list_todos', { list_id }).subscribe({ ttl: 3600 })`.
   */
  syncStream(name: string, params?: Record<string, unknown> | null): SyncStream {
    const host: StreamHost = {
      call: (async (method: 'subscribe' | 'unsubscribe' | 'unsubscribeAll', ...args: unknown[]) => {
        await this.ready();
        const result = await (this.rpc.call as (m: string, ...a: unknown[]) => Promise<unknown>)(method, ...args);
        // subscribe answers with the status that already lists the subscription: a status posted
        // before it (say, still showing an expired earlier subscription as synced) is never used.
        if (method === 'subscribe' && result !== null) this.notified({ notify: 'status', status: result as SyncStatus });
      }) as StreamHost['call'],
      currentStatus: this.status,
      onStatus: (l) => this.onStatus(l),
      handles: this.streamHandles,
      newHandleId: () => `${this.pageId}:${this.nextHandle++}`,
    };
    Object.defineProperty(host, 'currentStatus', { get: () => this.status });
    return syncStream(host, name, params);
  }

  /** Another tab's worker now holds the database: hold our subscriptions there too. */
  private replaySubscriptions(): void {
    for (const [handle, s] of this.streamHandles) {
      this.rpc.call('subscribe', handle, s.name, s.params, s.ttl, s.priority).catch((e) => console.warn('[syncline] re-subscribing failed', e));
    }
  }

  onStatus(listener: (s: SyncStatusView) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** Transactions the server refused; their rows are restored to the server's state at the next checkpoint. */
  onRejected(listener: (tx: RejectedTransaction) => void): () => void {
    this.rejectedListeners.add(listener);
    return () => this.rejectedListeners.delete(listener);
  }

  async close(): Promise<void> {
    for (const w of this.watches) w.close();
    this.watches.clear();
    if (typeof window !== 'undefined') {
      window.removeEventListener('online', this.onlineListener);
      window.removeEventListener('offline', this.onlineListener);
    }
    // A follower must not close the leader's database; it only stops listening.
    if (this.isLeader) await this.rpc.call('close').catch(() => undefined);
    this.worker?.terminate();
    this.tabs?.close();
  }

  private notified(n: Notification): void {
    switch (n.notify) {
      case 'tables':
        for (const w of this.watches) w.changed(n.tables);
        break;
      case 'status':
        this.status = withForStream(n.status);
        for (const l of [...this.statusListeners]) l(this.status);
        break;
      case 'rejected':
        for (const l of this.rejectedListeners) l(n.transaction);
        break;
      case 'credentials':
        void this.answerCredentials(n.requestId, n.refresh);
        break;
    }
  }

  private async answerCredentials(requestId: number, refresh: boolean): Promise<void> {
    try {
      if (this.connector === null) throw new Error('connect() was not called');
      const { token } = await this.connector.fetchCredentials(refresh);
      this.rpc.send({ credentialsReply: requestId, token, error: null });
    } catch (e) {
      this.rpc.send({ credentialsReply: requestId, token: null, error: (e as Error).message });
    }
  }
}
