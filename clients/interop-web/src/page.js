// The test page: the stock @powersync/web client, driven from run-browser.mjs through
// page.evaluate(). Everything it needs is on window.interop; logs are kept for the driver.
import { PowerSyncDatabase, Schema, Table, column, WASQLiteVFS, SyncStreamConnectionMethod } from '@powersync/web';

// The prebuilt PowerSync worker (database and sync services in one script), copied next to this
// bundle by build.mjs; naming it explicitly keeps the bundler out of worker resolution.
const WORKER_URL = new URL('./@powersync/worker.js', import.meta.url).href;

const VFS = { opfs: WASQLiteVFS.OPFSCoopSyncVFS, idb: WASQLiteVFS.IDBBatchAtomicVFS };

const logs = [];
const logger = {
  log(record) {
    logs.push(`[${record.level}] ${record.message}${record.error ? ` ${record.error}` : ''}`);
  }
};

let db = null;
let schemaDescription = null;
let credentialCalls = 0;

const TRANSPORTS = { http: SyncStreamConnectionMethod.HTTP, websocket: SyncStreamConnectionMethod.WEB_SOCKET };

async function start({ endpoint, token, schema, vfs, transport, dbFilename }) {
  if (!(transport in TRANSPORTS)) {
    throw new Error(`transport must be one of ${Object.keys(TRANSPORTS).join(', ')}, got ${transport}`);
  }
  if (!(vfs in VFS)) {
    throw new Error(`vfs must be one of ${Object.keys(VFS).join(', ')}, got ${vfs}`);
  }
  schemaDescription = schema;
  const tables = {};
  for (const [table, columns] of Object.entries(schema)) {
    const cols = {};
    for (const [name, type] of Object.entries(columns)) {
      cols[name] = column[type];
    }
    tables[table] = new Table(cols);
  }
  db = new PowerSyncDatabase({
    schema: new Schema(tables),
    database: { dbFilename, vfs: VFS[vfs], worker: WORKER_URL },
    sync: { worker: WORKER_URL },
    logger
  });
  await db.init();
  const connector = {
    async fetchCredentials() {
      credentialCalls++;
      return { endpoint, token };
    },
    async uploadData() {
      // this page never writes locally
    }
  };
  db.registerListener({ statusChanged: recordFirstSynced });
  await db.connect(connector, { connectionMethod: TRANSPORTS[transport] });
}

// [{seq, name, parameters}]: the order streams first showed hasSynced in; seq numbers the status
// updates, so a test can assert that priorities complete in order (as ../interop-node/streams.mjs).
let statusSeq = 0;
const firstSynced = [];
function recordFirstSynced(status) {
  statusSeq++;
  for (const s of status.syncStreams ?? []) {
    const { name, parameters, hasSynced } = s.subscription;
    const seen = firstSynced.some((f) => f.name === name && JSON.stringify(f.parameters) === JSON.stringify(parameters ?? null));
    if (hasSynced && !seen) firstSynced.push({ seq: statusSeq, name, parameters: parameters ?? null });
  }
}

async function waitForFirstSync() {
  await db.waitForFirstSync();
}

function status() {
  const s = db.currentStatus;
  const error = s.dataFlowStatus?.downloadError;
  return { connected: s.connected, hasSynced: s.hasSynced ?? false, downloadError: error ? String(error.stack ?? error) : null };
}

async function snapshot() {
  const tables = {};
  for (const table of Object.keys(schemaDescription)) {
    const names = ['id', ...Object.keys(schemaDescription[table])];
    // the typeof columns are aliased to the column names, so ORDER BY must name t.id, not the alias
    const typeOf = names.map((c) => `typeof("${c}") AS "${c}"`).join(', ');
    tables[table] = {
      rows: await db.getAll(`SELECT * FROM "${table}" ORDER BY id`),
      types: await db.getAll(`SELECT ${typeOf} FROM "${table}" AS t ORDER BY t.id`)
    };
  }
  return { tables, credentials: credentialCalls };
}

/** Which SQLite VFS the database file really lives in: the file shows up in OPFS or it does not. */
async function opfsFiles() {
  const root = await navigator.storage.getDirectory();
  const names = [];
  for await (const [name] of root.entries()) {
    names.push(name);
  }
  return names.sort();
}

const subscriptions = [];

/**
 * Subscribes to a Sync Stream with the SDK's own API (db.syncStream(name, params).subscribe()) and
 * returns at once; the driver polls subscribed(index) so a download error is still noticed.
 */
async function subscribe(stream, params, options = {}) {
  const entry = { done: false, error: null };
  subscriptions.push(entry);
  db.syncStream(stream, params ?? undefined).subscribe(options)
    .then((sub) => { entry.sub = sub; return sub.waitForFirstSync(); })
    .then(() => { entry.done = true; }, (e) => { entry.error = String(e.stack ?? e); });
  return subscriptions.length - 1;
}

function subscribed(index) {
  const entry = subscriptions[index];
  if (entry.error) {
    throw new Error(entry.error);
  }
  return entry.done;
}

/** Releases the handle subscribe(index) created (sub.unsubscribe()): the stream's TTL starts. */
function unsubscribe(index) {
  const entry = subscriptions[index];
  if (!entry?.sub) {
    throw new Error(`subscription ${index} has no handle (not subscribed yet or failed)`);
  }
  entry.sub.unsubscribe();
  return true;
}

async function query(sql) {
  return db.getAll(sql);
}

/** The SDK's view of each subscription, as in ../interop-node/streams.mjs. */
function streams() {
  return (db.currentStatus.syncStreams ?? []).map((s) => ({
    name: s.subscription.name,
    parameters: s.subscription.parameters,
    active: s.subscription.active,
    isDefault: s.subscription.isDefault,
    hasSynced: s.subscription.hasSynced,
    priority: s.priority
  }));
}

async function close() {
  if (db) {
    await db.disconnectAndClear?.().catch(() => {});
    await db.close();
  }
}

window.interop = {
  start, waitForFirstSync, status, snapshot, opfsFiles, subscribe, subscribed, unsubscribe, query, streams, close,
  firstSynced: () => firstSynced, logs: () => logs.splice(0)
};
