#!/usr/bin/env node
// Syncs a throw-away local database from a Syncline (or PowerSync) endpoint with the stock
// @powersync/node client and prints what arrived, so a test can compare it with what was served.
//
//   node sync-once.mjs --endpoint http://127.0.0.1:8080 --token T \
//        --schema '{"lists":{"name":"text"},"todos":{"list_id":"text","done":"integer"}}' \
//        [--wait-for 'todos:t9'] [--timeout-ms 30000]
//
// Every option may also come from the environment: SYNCLINE_ENDPOINT, SYNCLINE_TOKEN,
// SYNCLINE_SCHEMA, SYNCLINE_WAIT_FOR, SYNCLINE_TIMEOUT_MS; SYNCLINE_INTEROP_LOG=debug shows the
// SDK's own log on stderr.
//
// stdout carries only JSON lines, one per event:
//   {"event":"synced","tables":{...}}    after the first complete sync (waitForFirstSync)
//   {"event":"changed","tables":{...}}   with --wait-for TABLE:ID or TABLE:#N, once row ID (or N
//                                         rows) arrived over the still-open stream
// where tables = {"<table>": {"rows": [{col: value}], "types": [{col: sqlite typeof}]}}, rows
// ordered by id. Exit codes: 0 done, 2 sync error or checksum mismatch (printed), 3 timeout,
// 64 bad usage.
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
    token: { type: 'string', default: process.env.SYNCLINE_TOKEN },
    schema: { type: 'string', default: process.env.SYNCLINE_SCHEMA },
    'wait-for': { type: 'string', default: process.env.SYNCLINE_WAIT_FOR },
    'timeout-ms': { type: 'string', default: process.env.SYNCLINE_TIMEOUT_MS ?? '30000' }
  }
});

function usage(message) {
  process.stderr.write(`sync-once: ${message}\n`);
  process.exit(EXIT_USAGE);
}

if (!args.endpoint || !args.token || !args.schema) {
  usage('--endpoint, --token and --schema are required (or SYNCLINE_ENDPOINT, SYNCLINE_TOKEN, SYNCLINE_SCHEMA)');
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
const minLevel = LogLevels[process.env.SYNCLINE_INTEROP_LOG ?? 'warn'] ?? LogLevels.warn;
const logger = {
  log(record) {
    if (record.level >= minLevel) {
      process.stderr.write(`[powersync ${record.level}] ${record.message}${record.error ? ` ${record.error}` : ''}\n`);
    }
    // The SDK only logs a checksum mismatch (then drops the buckets and reconnects, forever): for
    // a protocol test that is a server bug, so end the run instead of waiting for the timeout.
    if (/Checksums didn't match/.test(record.message)) {
      finish(EXIT_SYNC_ERROR, `checksum mismatch: ${record.message}`);
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
  for (const table of tableNames) {
    const names = ['id', ...Object.keys(schemaDescription[table])];
    const typeOf = names.map((c) => `typeof("${c}") AS "${c}"`).join(', ');
    out[table] = {
      rows: await db.getAll(`SELECT * FROM "${table}" ORDER BY id`),
      types: await db.getAll(`SELECT ${typeOf} FROM "${table}" ORDER BY id`)
    };
  }
  return out;
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
    return { endpoint: args.endpoint, token: args.token };
  },
  async uploadData() {
    // this client never writes locally
  }
};

try {
  // HTTP streaming is this SDK's default too; say so, since Syncline has no WebSocket (RSocket) transport yet.
  await db.connect(connector, { connectionMethod: SyncStreamConnectionMethod.HTTP });
  await db.waitForFirstSync();
  emit('synced', { tables: await snapshot() });

  if (waitFor) {
    for (;;) {
      const rows = await db.getAll(`SELECT id FROM "${waitFor.table}"`);
      const arrived = waitFor.count !== null ? rows.length >= waitFor.count : rows.some((r) => r.id === waitFor.id);
      if (arrived) {
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    emit('changed', { tables: await snapshot() });
  }
  clearTimeout(timer);
  await finish(0);
} catch (e) {
  await finish(EXIT_SYNC_ERROR, `failed: ${e.stack ?? e}`);
}
