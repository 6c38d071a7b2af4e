#!/usr/bin/env node
// Drives the stock @powersync/node client's Sync Streams API against a Syncline endpoint, one
// command at a time, so a test can subscribe, unsubscribe and watch what the local database holds.
//
//   node streams.mjs --endpoint http://127.0.0.1:8080 --token T \
//        --schema '{"lists":{"name":"text"},"todos":{"list_id":"text"}}' [--timeout-ms 60000]
//
// After connecting it waits for the first sync and prints {"event":"synced", ...}. Then it reads
// JSON commands from stdin, one per line, and answers each with one event line on stdout:
//   {"cmd":"subscribe","stream":"list","params":{"list_id":"l1"},"ttl":1,"priority":1}
//       → {"event":"subscribed", ...} once that subscription's first sync is complete
//   {"cmd":"unsubscribe","stream":"list","params":{...}}          → {"event":"unsubscribed", ...}
//   {"cmd":"wait","sql":"SELECT 1 FROM todos WHERE id = 't1'","present":true|false}
//       → {"event":"waited", ...} once the query returns rows (present) or none (not present)
//   {"cmd":"close"}                                                 → exits 0
// Every event carries "tables": {"<table>": [ids...]}, "streams": the SDK's view of each
// subscription ({name, parameters, active, isDefault, hasSynced, priority}) and "firstSynced":
// [{seq, name, parameters}], the order streams first showed hasSynced in (seq numbers the SDK's
// status updates), so a test can assert that priorities complete in order. Exit codes: 0 done,
// 2 sync error, 3 timeout (of the whole run), 64 bad usage.
import { PowerSyncDatabase, Schema, Table, column, SyncStreamConnectionMethod } from '@powersync/node';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    endpoint: { type: 'string' },
    token: { type: 'string' },
    schema: { type: 'string' },
    'timeout-ms': { type: 'string', default: '60000' }
  }
});
if (!args.endpoint || !args.token || !args.schema) {
  process.stderr.write('streams: --endpoint, --token and --schema are required\n');
  process.exit(64);
}

const description = JSON.parse(args.schema);
const tables = {};
for (const [table, columns] of Object.entries(description)) {
  tables[table] = new Table(Object.fromEntries(Object.entries(columns).map(([c, t]) => [c, column[t]])));
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'syncline-streams-'));
const db = new PowerSyncDatabase({
  schema: new Schema(tables),
  database: { dbFilename: 'streams.sqlite', dbLocation: dir },
  logger: { log(record) { if (record.level >= 3) process.stderr.write(`[powersync] ${record.message}\n`); } }
});

let finishing = false;
async function finish(code, message) {
  if (finishing) return;
  finishing = true;
  if (message) process.stderr.write(`streams: ${message}\n`);
  try {
    await Promise.race([db.close(), new Promise((r) => setTimeout(r, 2000))]);
  } catch {
    // exiting anyway
  }
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(code);
}
setTimeout(() => finish(3, `timed out after ${args['timeout-ms']} ms`), Number(args['timeout-ms']));

let statusSeq = 0;
const firstSynced = [];
db.registerListener({
  statusChanged(status) {
    const error = status.dataFlowStatus?.downloadError;
    if (error) finish(2, `sync error: ${error.stack ?? error}`);
    statusSeq++;
    for (const s of status.syncStreams ?? []) {
      const { name, parameters, hasSynced } = s.subscription;
      const seen = firstSynced.some((f) => f.name === name && JSON.stringify(f.parameters) === JSON.stringify(parameters ?? null));
      if (hasSynced && !seen) firstSynced.push({ seq: statusSeq, name, parameters: parameters ?? null });
    }
  }
});

async function emit(event, extra = {}) {
  const out = {};
  for (const table of Object.keys(description)) {
    out[table] = (await db.getAll(`SELECT id FROM "${table}" ORDER BY id`)).map((r) => r.id);
  }
  const streams = (db.currentStatus.syncStreams ?? []).map((s) => ({
    name: s.subscription.name,
    parameters: s.subscription.parameters,
    active: s.subscription.active,
    isDefault: s.subscription.isDefault,
    hasSynced: s.subscription.hasSynced,
    priority: s.priority
  }));
  process.stdout.write(JSON.stringify({ event, tables: out, streams, firstSynced, ...extra }) + '\n');
}

const subscriptions = new Map();
const key = (stream, params) => `${stream}:${JSON.stringify(params ?? null)}`;

async function run(command) {
  switch (command.cmd) {
    case 'subscribe': {
      const options = {};
      if (command.ttl !== undefined) options.ttl = command.ttl;
      if (command.priority !== undefined) options.priority = command.priority;
      const sub = await db.syncStream(command.stream, command.params ?? undefined).subscribe(options);
      subscriptions.set(key(command.stream, command.params), sub);
      await sub.waitForFirstSync();
      return emit('subscribed');
    }
    case 'unsubscribe': {
      const sub = subscriptions.get(key(command.stream, command.params));
      if (!sub) throw new Error(`no subscription ${key(command.stream, command.params)}`);
      sub.unsubscribe();
      subscriptions.delete(key(command.stream, command.params));
      return emit('unsubscribed');
    }
    case 'wait': {
      const present = command.present !== false;
      for (;;) {
        const rows = await db.getAll(command.sql);
        if ((rows.length > 0) === present) return emit('waited');
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    case 'close':
      return finish(0);
    default:
      throw new Error(`unknown command ${JSON.stringify(command)}`);
  }
}

try {
  await db.connect({ fetchCredentials: async () => ({ endpoint: args.endpoint, token: args.token }), uploadData: async () => {} },
    { connectionMethod: SyncStreamConnectionMethod.HTTP });
  await db.waitForFirstSync();
  await emit('synced');
  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (line.trim()) await run(JSON.parse(line));
  }
  await finish(0);
} catch (e) {
  await finish(2, e.stack ?? String(e));
}
