#!/usr/bin/env node
// Syncs a throw-away local database from a Syncline (or PowerSync) endpoint with the stock
// @powersync/node client and prints what arrived, so a test can compare it with what was served.
//
//   node sync-once.mjs --endpoint http://127.0.0.1:8080 --token T \
//        --schema '{"lists":{"name":"text"},"todos":{"list_id":"text","done":"integer"}}' \
//        [--wait-for 'todos:t9'] [--wait-sql "SELECT 1 FROM todos WHERE n = 42"] [--timeout-ms 30000]
//        [--transport http|websocket] [--token T2 ...] [--fail-credentials 2 ...]
//        [--tolerate-checksum-mismatch] [--retry-delay-ms N]
//        [--write "INSERT INTO todos (id, description) VALUES ('t7', 'local')" --upload-url URL]
//        [--count-only] [--track-sql "SELECT count(*) AS n FROM todos"]
//
// Every option may also come from the environment: SYNCLINE_ENDPOINT, SYNCLINE_TOKEN,
// SYNCLINE_SCHEMA, SYNCLINE_WAIT_FOR, SYNCLINE_TIMEOUT_MS, SYNCLINE_TRANSPORT; SYNCLINE_INTEROP_LOG=debug
// shows the SDK's own log on stderr.
//
// --token may be repeated: each call of the connector's fetchCredentials takes the next one and the
// last one repeats (how a test hands out a fresh token when the first nears expiry);
// --fail-credentials N (repeatable) makes the N-th call (1-based) throw instead, like an auth
// backend that is briefly down.
// --tolerate-checksum-mismatch counts the SDK's checksum failures instead of ending the run, so the
// SDK's own recovery (drop the bucket, reconnect, download it again) can be observed.
// --write runs a local write after the first sync; --upload-url is where uploadData POSTs the
// pending CRUD transaction as {"ops":[{"op","table","id","data"}]} (a test's side channel standing
// in for the app's backend); a 2xx completes the transaction, anything else is retried by the SDK.
//
// stdout carries only JSON lines, one per event:
//   {"event":"synced","tables":{...}}    after the first complete sync (waitForFirstSync)
//   {"event":"written","tables":{...}}   with --write, right after the local write
//   {"event":"changed","tables":{...}}   with --wait-for TABLE:ID or TABLE:#N and/or --wait-sql,
//                                         once row ID (or N rows) arrived and the query returns a
//                                         row, over the still-open stream
// --track-sql runs the query (one row, column n) at every poll while waiting and after each local
// change notification, and adds "tracked": {"min", "max", "samples"} to the changed event: what the
// app could have seen meanwhile (e.g. never an empty table while the server switches generations).
// --count-only (for benchmarks) makes tables = {"<table>": {"count": N}} and adds "elapsedMs", the
// time from connect() to waitForFirstSync() resolving, to the synced event.
// where tables = {"<table>": {"rows": [{col: value}], "types": [{col: sqlite typeof}]}}, rows
// ordered by id; every event also carries "credentials" (fetchCredentials calls so far),
// "checksumFailures" and "uploadQueue" (pending local changes). Exit codes: 0 done, 2 sync error
// or checksum mismatch (printed), 3 timeout, 64 bad usage.
import { PowerSyncDatabase, Schema, Table, column, SyncStreamConnectionMethod, LogLevels } from '@powersync/node';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const EXIT_SYNC_ERROR = 2;
const EXIT_TIMEOUT = 3;
const EXIT_USAGE = 64;

const { values: args } = parseArgs({
  options: {
    endpoint: { type: 'string', default: process.env.SYNCLINE_ENDPOINT },
    token: { type: 'string', multiple: true, default: process.env.SYNCLINE_TOKEN ? [process.env.SYNCLINE_TOKEN] : [] },
    schema: { type: 'string', default: process.env.SYNCLINE_SCHEMA },
    'wait-for': { type: 'string', default: process.env.SYNCLINE_WAIT_FOR },
    'wait-sql': { type: 'string' },
    'timeout-ms': { type: 'string', default: process.env.SYNCLINE_TIMEOUT_MS ?? '30000' },
    transport: { type: 'string', default: process.env.SYNCLINE_TRANSPORT ?? 'http' },
    'tolerate-checksum-mismatch': { type: 'boolean', default: false },
    'retry-delay-ms': { type: 'string' },
    'fail-credentials': { type: 'string', multiple: true, default: [] },
    write: { type: 'string' },
    'upload-url': { type: 'string' },
    'count-only': { type: 'boolean', default: false },
    'track-sql': { type: 'string' }
  }
});

function usage(message) {
  process.stderr.write(`sync-once: ${message}\n`);
  process.exit(EXIT_USAGE);
}

if (!args.endpoint || args.token.length === 0 || !args.schema) {
  usage('--endpoint, --token and --schema are required (or SYNCLINE_ENDPOINT, SYNCLINE_TOKEN, SYNCLINE_SCHEMA)');
}
const transports = { http: SyncStreamConnectionMethod.HTTP, websocket: SyncStreamConnectionMethod.WEB_SOCKET };
if (!(args.transport in transports)) {
  usage(`--transport must be http or websocket, got ${args.transport}`);
}
const failingCredentialCalls = new Set(args['fail-credentials'].map(Number));
const retryDelayMs = args['retry-delay-ms'] === undefined ? undefined : Number(args['retry-delay-ms']);
if (retryDelayMs !== undefined && !(retryDelayMs >= 0)) {
  usage(`--retry-delay-ms must be a non-negative number, got ${args['retry-delay-ms']}`);
}
if (args['upload-url'] && !args.write) {
  usage('--upload-url only makes sense with --write');
}

// {"table": {"column": "text"|"integer"|"real"}}; `id` is implicit (always text) in PowerSync.
let schemaDescription;
try {
  schemaDescription = JSON.parse(args.schema);
} catch (e) {
  usage(`--schema is not JSON: ${e.message}`);
}
const tables = {};
for (const [table, columns] of Object.entries(schemaDescription)) {
  const cols = {};
  for (const [name, type] of Object.entries(columns)) {
    if (!(type in column)) {
      usage(`column ${table}.${name} has type ${type}; use text, integer or real`);
    }
    cols[name] = column[type];
  }
  tables[table] = new Table(cols);
}
const tableNames = Object.keys(tables);

let waitFor = null;
if (args['wait-for']) {
  const m = /^([A-Za-z_][A-Za-z0-9_]*):(#(\d+)|(.+))$/.exec(args['wait-for']);
  if (!m || !tables[m[1]]) {
    usage(`--wait-for must be TABLE:ID or TABLE:#COUNT with a table of the schema, got ${args['wait-for']}`);
  }
  waitFor = { table: m[1], count: m[3] === undefined ? null : Number(m[3]), id: m[4] ?? null };
}

// The SDK logs through console.log; stdout is reserved for the result lines.
let checksumFailures = 0;
let credentialCalls = 0;
const minLevel = LogLevels[process.env.SYNCLINE_INTEROP_LOG ?? 'warn'] ?? LogLevels.warn;
const logger = {
  log(record) {
    if (record.level >= minLevel) {
      process.stderr.write(`[powersync ${record.level}] ${record.message}${record.error ? ` ${record.error}` : ''}\n`);
    }
    // The SDK only logs a checksum mismatch (then drops the buckets and reconnects, forever): for
    // a protocol test that is a server bug, so end the run instead of waiting for the timeout —
    // unless the test provoked it on purpose to watch the recovery.
    if (/Checksums didn't match/.test(record.message)) {
      checksumFailures++;
      if (!args['tolerate-checksum-mismatch']) {
        finish(EXIT_SYNC_ERROR, `checksum mismatch: ${record.message}`);
      }
    }
  }
};

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'syncline-interop-'));
const db = new PowerSyncDatabase({
  schema: new Schema(tables),
  database: { dbFilename: 'interop.sqlite', dbLocation: dir },
  logger
});

let finishing = false;
async function finish(code, message) {
  if (finishing) {
    return;
  }
  finishing = true;
  if (message) {
    process.stderr.write(`sync-once: ${message}\n`);
  }
  try {
    await Promise.race([db.close(), new Promise((r) => setTimeout(r, 2000))]);
  } catch {
    // exiting anyway
  }
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(code);
}

const timeoutMs = Number(args['timeout-ms']);
const timer = setTimeout(() => {
  const status = db.currentStatus;
  finish(EXIT_TIMEOUT, `timed out after ${timeoutMs} ms (connected=${status.connected}, hasSynced=${status.hasSynced})`);
}, timeoutMs);

async function snapshot() {
  const out = {};
  const counters = {
    credentials: credentialCalls,
    checksumFailures,
    uploadQueue: (await db.getUploadQueueStats()).count
  };
  for (const table of tableNames) {
    if (args['count-only']) {
      out[table] = { count: (await db.getAll(`SELECT count(*) AS n FROM "${table}"`))[0].n };
      continue;
    }
    const names = ['id', ...Object.keys(schemaDescription[table])];
    // the typeof columns are aliased to the column names, so ORDER BY must name t.id, not the alias
    const typeOf = names.map((c) => `typeof("${c}") AS "${c}"`).join(', ');
    out[table] = {
      rows: await db.getAll(`SELECT * FROM "${table}" ORDER BY id`),
      types: await db.getAll(`SELECT ${typeOf} FROM "${table}" AS t ORDER BY t.id`)
    };
  }
  return { tables: out, ...counters };
}

function emit(event, payload) {
  process.stdout.write(JSON.stringify({ event, ...payload }) + '\n');
}

// Any download error ends the run: the test wants to see the first protocol problem, not retries.
db.registerListener({
  statusChanged(status) {
    const error = status.dataFlowStatus?.downloadError;
    if (error) {
      finish(EXIT_SYNC_ERROR, `sync error: ${error.stack ?? error}`);
    }
  }
});

const connector = {
  async fetchCredentials() {
    const token = args.token[Math.min(credentialCalls, args.token.length - 1)];
    credentialCalls++;
    if (failingCredentialCalls.has(credentialCalls)) {
      throw new Error(`fetchCredentials call ${credentialCalls} fails on purpose (--fail-credentials)`);
    }
    return { endpoint: args.endpoint, token };
  },
  async uploadData(database) {
    const tx = await database.getNextCrudTransaction();
    if (!tx || !args['upload-url']) {
      return; // nothing to upload, or this run never completes uploads
    }
    const ops = tx.crud.map((e) => ({ op: e.op, table: e.table, id: e.id, data: e.opData ?? null }));
    const response = await fetch(args['upload-url'], {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ops })
    });
    if (!response.ok) {
      throw new Error(`upload side channel answered ${response.status}: ${await response.text()}`);
    }
    await tx.complete();
  }
};

const tracked = { min: null, max: null, samples: 0 };
async function track() {
  if (!args['track-sql']) {
    return;
  }
  const n = Number((await db.getAll(args['track-sql']))[0]?.n ?? 0);
  tracked.min = tracked.min === null ? n : Math.min(tracked.min, n);
  tracked.max = tracked.max === null ? n : Math.max(tracked.max, n);
  tracked.samples++;
}

async function conditionHolds() {
  await track();
  if (waitFor) {
    const rows = await db.getAll(`SELECT id FROM "${waitFor.table}"`);
    const arrived = waitFor.count !== null ? rows.length >= waitFor.count : rows.some((r) => r.id === waitFor.id);
    if (!arrived) {
      return false;
    }
  }
  return !args['wait-sql'] || (await db.getAll(args['wait-sql'])).length > 0;
}

try {
  // HTTP streaming is this SDK's default; the transport is always named so a test knows which it ran.
  const options = { connectionMethod: transports[args.transport] };
  if (retryDelayMs !== undefined) {
    options.retryDelayMs = retryDelayMs;
  }
  const connectedAt = performance.now();
  await db.connect(connector, options);
  await db.waitForFirstSync();
  const elapsedMs = performance.now() - connectedAt;
  emit('synced', { ...(await snapshot()), ...(args['count-only'] ? { elapsedMs } : {}) });

  if (args.write) {
    await db.execute(args.write);
    emit('written', await snapshot());
  }
  if (waitFor || args['wait-sql']) {
    if (args['track-sql']) {
      // also sample right after every change the SDK applies, not only every 50 ms
      db.onChange({ onChange: () => { track().catch(() => {}); } }, { tables: tableNames, throttleMs: 0 });
    }
    while (!(await conditionHolds())) {
      await new Promise((r) => setTimeout(r, 50));
    }
    emit('changed', { ...(await snapshot()), ...(args['track-sql'] ? { tracked } : {}) });
  }
  clearTimeout(timer);
  await finish(0);
} catch (e) {
  await finish(EXIT_SYNC_ERROR, `failed: ${e.stack ?? e}`);
}
