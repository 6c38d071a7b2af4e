/**
 * The database worker: owns the SQLite connection, the sync connection and the uploader, and
 * answers the page's RPC requests. Every database call goes through one lock; a local
 * transaction holds it from begin to commit/rollback and only that transaction's calls pass.
 */
import type { CredentialsReply, InitArgs, InitResult, Methods, PageMessage, Params, Request, ResultRow, SyncStatus, WorkerMessage } from '../protocol/rpc.js';
import { createTables } from '../storage/internal-tables.js';
import { Schema } from '../storage/schema.js';
import { transaction, type SqlDb } from '../storage/sql-db.js';
import { nextLocalTx, pendingCount } from '../storage/upload-queue.js';
import { DOWNLOAD_WORKER_NAME, downloadThread, runDownloadWorker } from './line-source.js';
import { Lock } from './lock.js';
import { openDatabase, type Opened } from './open-database.js';
import { SyncEngine } from './sync-engine.js';
import { Uploader } from './uploader.js';
import { tablesRead } from './tables-read.js';

interface Ctx {
  opened: Opened;
  db: SqlDb;
  schema: Schema;
  clientId: string;
  engine: SyncEngine;
  uploader: Uploader;
}

const scope = self as unknown as DedicatedWorkerGlobalScope;
const lock = new Lock();
let ctx: Ctx | null = null;
/** The local transaction a page holds open across messages (writeTransaction), if any. */
let openTx: { id: number; release: () => void; startCrud: number } | null = null;
let nextTxToken = 1;
let credentialRequests = 0;
const pendingCredentials = new Map<number, { resolve: (t: string) => void; reject: (e: Error) => void }>();
let cachedToken: Promise<string> | null = null;
let statusScheduled = false;

function post(message: WorkerMessage): void {
  scope.postMessage(message);
}

function need(): Ctx {
  if (ctx === null) throw new Error('database not initialised: call init() first');
  return ctx;
}

function credentials(refresh: boolean): Promise<string> {
  if (cachedToken !== null && !refresh) return cachedToken;
  const requestId = ++credentialRequests;
  const token = new Promise<string>((resolve, reject) => {
    pendingCredentials.set(requestId, { resolve, reject });
    post({ notify: 'credentials', requestId, refresh });
  });
  cachedToken = token;
  token.catch(() => {
    if (cachedToken === token) cachedToken = null;
  });
  return token;
}

function status(): SyncStatus {
  const c = need();
  const s = c.engine.state;
  return {
    connected: s.connection === 'streaming',
    connecting: s.connection === 'connecting',
    downloading: s.target !== null && s.opsTotal > 0 && s.opsReceived < s.opsTotal ? { received: s.opsReceived, total: s.opsTotal } : null,
    uploading: c.uploader.uploading,
    pendingUploads: pendingCount(c.db),
    // Noted with the apply of a full checkpoint (not when its lines arrive, nor at checkpoint_complete).
    hasSynced: c.engine.synced.synced,
    lastSyncedAt: c.engine.synced.at,
    lastError: s.lastError ?? c.uploader.lastError,
    online: s.online,
    syncStreams: c.engine.streamStatuses(),
  };
}

/**
 * Coalesced status messages come at most this often: the sync engine returns to the event loop
 * every millisecond or so (see PAUSE_MS), and a status message per return (a count of sl_crud, a
 * structured clone, the page's listeners) cost a first sync more than its JSON parsing.
 */
const STATUS_INTERVAL_MS = 30;
let lastStatusAt = -Infinity;

function postStatus(): void {
  lastStatusAt = performance.now();
  post({ notify: 'status', status: status() });
}

function statusChanged(): void {
  if (statusScheduled || ctx === null) return;
  statusScheduled = true;
  // Coalesced: a burst of lines produces one status message.
  setTimeout(() => {
    statusScheduled = false;
    if (ctx !== null) postStatus();
  }, Math.max(0, lastStatusAt + STATUS_INTERVAL_MS - performance.now()));
}

let initialising: Promise<InitResult> | null = null;

/** Idempotent: every tab's init lands here (replayed after a leader change), the first one opens. */
function init(args: InitArgs): Promise<InitResult> {
  initialising ??= openAndCreate(args);
  initialising.catch(() => (initialising = null));
  return initialising;
}

async function openAndCreate(args: InitArgs): Promise<InitResult> {
  const schema = new Schema(args.schema);
  // The sync stream is read on a thread of its own (this script again, as the download thread), so
  // that reading and parsing it does not keep the page's queries waiting (worker/line-source.ts);
  // started now, while the database opens.
  const openLines = typeof Worker === 'undefined' ? null
    : downloadThread(() => new Worker(import.meta.url, { type: 'module', name: DOWNLOAD_WORKER_NAME }), true);
  const opened = await openDatabase(args.dbName, args.storage);
  const clientId = createTables(opened.db, schema, () => crypto.randomUUID());
  const engine = new SyncEngine(opened.db, lock, schema, clientId, {
    credentials,
    tablesChanged: (tables) => post({ notify: 'tables', tables }),
    statusChanged,
    applied: () => statusChanged(),
    statusNow: () => {
      if (ctx !== null) postStatus();
    },
  });
  if (openLines !== null) engine.openLines = openLines;
  const uploader = new Uploader(opened.db, lock, engine, clientId, {
    credentials,
    rejected: (transaction) => post({ notify: 'rejected', transaction }),
    statusChanged,
  });
  ctx = { opened, db: opened.db, schema, clientId, engine, uploader };
  return { clientId, storage: opened.storage, warning: opened.warning };
}

function rows(db: SqlDb, sql: string, params: Params): ResultRow[] {
  return db.all(sql, params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p)));
}

/** Runs fn with the lock, or inside the open local transaction when the call names it. */
async function withDb<T>(tx: number | null, fn: (db: SqlDb) => T): Promise<T> {
  const c = need();
  if (tx !== null) {
    if (openTx === null || openTx.id !== tx) throw new Error(`transaction ${tx} is not open (committed, rolled back or unknown)`);
    return fn(c.db);
  }
  return lock.run(() => fn(c.db));
}

/**
 * A query that may run inside the sync's open transaction: one statement that writes nothing.
 * SQLite also calls BEGIN, COMMIT, SAVEPOINT, ATTACH… read-only; the leading keyword rules them out.
 */
function readsOnly(c: Ctx, sql: string): boolean {
  return /^\s*(select|with|values)\b/i.test(sql) && c.opened.db.isReadOnly(sql);
}

function afterLocalWrite(tables: string[]): void {
  const c = need();
  if (tables.length > 0) post({ notify: 'tables', tables });
  void c.engine.dispatch({ type: 'localWrite' });
  c.uploader.trigger();
}

function tablesWritten(db: SqlDb, sinceOpId: number): string[] {
  return db.all('SELECT DISTINCT type FROM sl_crud WHERE op_id > ?', [sinceOpId]).map((r) => String(r['type']));
}

function maxCrudId(db: SqlDb): number {
  return Number(db.all('SELECT coalesce(max(op_id), 0) AS m FROM sl_crud')[0]!['m']);
}

const methods: { [M in keyof Methods]: (...args: Parameters<Methods[M]>) => ReturnType<Methods[M]> | Promise<ReturnType<Methods[M]>> } = {
  init,
  query(sql, params, tx) {
    // During a sync's store or merge slice (which leave the app tables untouched) a read-only query
    // runs at once, between two of its statements, instead of waiting for its transaction to end.
    const c = need();
    lock.noteQuery();
    if (tx === null && lock.readersMayPass && readsOnly(c, sql)) return rows(c.db, sql, params);
    return withDb(tx, (db) => rows(db, sql, params));
  },
  async execute(sql, params, tx) {
    if (tx !== null) {
      return withDb(tx, (db) => {
        const result = rows(db, sql, params);
        return { changes: db.changes(), rows: result };
      });
    }
    // One statement, one local transaction.
    let written: string[] = [];
    const result = await withDb(null, (db) =>
      transaction(db, () => {
        const before = maxCrudId(db);
        nextLocalTx(db);
        const out = rows(db, sql, params);
        const changes = db.changes();
        written = tablesWritten(db, before);
        return { changes, rows: out };
      }),
    );
    if (written.length > 0) afterLocalWrite(written);
    return result;
  },
  async begin() {
    const c = need();
    const release = await lock.acquire();
    try {
      c.db.run('BEGIN IMMEDIATE');
      nextLocalTx(c.db);
    } catch (e) {
      release();
      throw e;
    }
    const id = nextTxToken++;
    openTx = { id, release, startCrud: maxCrudId(c.db) };
    return id;
  },
  commit(tx) {
    const c = need();
    if (openTx === null || openTx.id !== tx) throw new Error(`transaction ${tx} is not open`);
    const t = openTx;
    try {
      const written = tablesWritten(c.db, t.startCrud);
      c.db.run('COMMIT');
      openTx = null;
      t.release();
      if (written.length > 0) afterLocalWrite(written);
    } catch (e) {
      c.db.run('ROLLBACK');
      openTx = null;
      t.release();
      throw e;
    }
  },
  rollback(tx) {
    const c = need();
    if (openTx === null || openTx.id !== tx) return;
    const t = openTx;
    openTx = null;
    try {
      c.db.run('ROLLBACK');
    } finally {
      t.release();
    }
  },
  tablesRead: (sql) => withDb(null, (db) => tablesRead(need().opened.raw, db, sql)),
  connect(endpoint) {
    const c = need();
    c.engine.endpoint = endpoint.replace(/\/+$/, '');
    void c.engine.dispatch({ type: 'start' });
    c.uploader.trigger();
  },
  disconnect() {
    const c = need();
    c.engine.stop();
    c.uploader.stop();
  },
  setOnline(online) {
    const c = need();
    void c.engine.dispatch({ type: 'online', online, jitter: Math.random() });
    if (online) c.uploader.trigger();
  },
  status,
  async subscribe(handle, name, params, ttl, priority) {
    await need().engine.subscribe(handle, name, params, ttl, priority);
    return status();
  },
  unsubscribe: (handle) => need().engine.unsubscribe(handle),
  unsubscribeAll: (name, params) => need().engine.unsubscribeAll(name, params),
  close() {
    if (ctx === null) return;
    ctx.engine.stop();
    ctx.uploader.stop();
    ctx.opened.db.release();
    ctx.opened.raw.close();
    ctx = null;
  },
};

/** The database worker's requests; the same script started as the download thread reads sync streams instead. */
const onRequest = async (event: MessageEvent<PageMessage>) => {
  const msg = event.data;
  if ('credentialsReply' in msg) {
    const r: CredentialsReply = msg;
    const p = pendingCredentials.get(r.credentialsReply);
    pendingCredentials.delete(r.credentialsReply);
    if (r.token !== null) p?.resolve(r.token);
    else p?.reject(new Error(r.error ?? 'no credentials'));
    return;
  }
  const req = msg as Request;
  try {
    if (req.method !== 'init' && initialising !== null) await initialising.catch(() => undefined);
    const fn = methods[req.method] as (...a: unknown[]) => unknown;
    const result = await fn(...req.args);
    post({ id: req.id, result: result ?? null });
  } catch (e) {
    const err = e as Error;
    post({ id: req.id, error: { name: err.name ?? 'Error', message: err.message ?? String(e) } });
  }
};

if (scope.name === DOWNLOAD_WORKER_NAME) runDownloadWorker(scope);
else scope.onmessage = onRequest;
