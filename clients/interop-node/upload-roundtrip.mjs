#!/usr/bin/env node
// Writes one todo locally with the stock @powersync/node client, lets its uploadData connector
// post the CRUD transaction to Syncline's POST /api/upload, and watches the local row until the
// server's version of it (stamped by the server) has come back through sync.
//
//   node upload-roundtrip.mjs --endpoint http://127.0.0.1:8080 --token T \
//        --list-id <uuid of a list the user is a member of> --todo-id <new uuid> [--timeout-ms 60000]
//
// stdout carries only JSON lines:
//   {"event":"synced"}                                  first complete sync
//   {"event":"uploaded","request":{…},"status":200,"response":{…}}   each POST /api/upload
//   {"event":"done","row":{…},"history":[…]}            the row is the server's version and the
//        upload queue is empty; history lists every distinct local state of the row seen since the
//        local write (null = row absent), so a test can check that it never flickered away.
// Exit codes: 0 done, 2 error (printed on stderr), 3 timeout, 64 bad usage.
import { PowerSyncDatabase, Schema, Table, column, SyncStreamConnectionMethod } from '@powersync/node';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    endpoint: { type: 'string' },
    token: { type: 'string' },
    'list-id': { type: 'string' },
    'todo-id': { type: 'string' },
    'timeout-ms': { type: 'string', default: '60000' }
  }
});
if (!args.endpoint || !args.token || !args['list-id'] || !args['todo-id']) {
  process.stderr.write('upload-roundtrip: --endpoint, --token, --list-id and --todo-id are required\n');
  process.exit(64);
}

// The demo schema as the client sees it (PowerSync stores booleans as integers, times as text).
const schema = new Schema({
  lists: new Table({ name: column.text, owner_id: column.text, created_at: column.text }),
  todos: new Table({
    list_id: column.text,
    description: column.text,
    completed: column.integer,
    created_by: column.text,
    completed_at: column.text,
    created_at: column.text
  })
});

const emit = (event, payload = {}) => process.stdout.write(JSON.stringify({ event, ...payload }) + '\n');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'syncline-upload-'));
const db = new PowerSyncDatabase({
  schema,
  database: { dbFilename: 'upload.sqlite', dbLocation: dir },
  logger: { log: (r) => r.level >= 3 && process.stderr.write(`[powersync ${r.level}] ${r.message}\n`) }
});

let finishing = false;
async function finish(code, message) {
  if (finishing) return;
  finishing = true;
  if (message) process.stderr.write(`upload-roundtrip: ${message}\n`);
  try {
    await Promise.race([db.close(), new Promise((r) => setTimeout(r, 2000))]);
  } catch {
    // exiting anyway
  }
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(code);
}
const timer = setTimeout(() => finish(3, `timed out after ${args['timeout-ms']} ms`), Number(args['timeout-ms']));

// The connector a Syncline app needs: post each local transaction to /api/upload, then complete it.
const connector = {
  async fetchCredentials() {
    return { endpoint: args.endpoint, token: args.token };
  },
  async uploadData(database) {
    for (;;) {
      const tx = await database.getNextCrudTransaction();
      if (!tx) return;
      const request = {
        client_id: await database.getClientId(),
        transactions: [{
          // Writes made outside writeTransaction have no transaction id; the first op's id is as unique.
          tx_id: tx.transactionId ?? tx.crud[0].clientId,
          ops: tx.crud.map((e) => ({ op_id: e.clientId, op: e.op, type: e.table, id: e.id, data: e.opData }))
        }]
      };
      const response = await fetch(`${args.endpoint}/api/upload`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${args.token}` },
        body: JSON.stringify(request)
      });
      const body = await response.json();
      emit('uploaded', { request, status: response.status, response: body });
      if (!response.ok) {
        // 5xx and 429: thrown, so the SDK keeps the transaction and calls uploadData again later.
        throw new Error(`upload refused: ${response.status} ${JSON.stringify(body)}`);
      }
      const outcome = body.transactions[0];
      if (outcome.status === 'retryable') {
        throw new Error(`upload retryable: ${outcome.message}`);
      }
      // applied, duplicate and rejected all leave the queue: a rejected write is reported, not retried.
      await tx.complete();
    }
  }
};

const rowState = async () => {
  const rows = await db.getAll('SELECT * FROM todos WHERE id = ?', [args['todo-id']]);
  return rows.length ? rows[0] : null;
};

try {
  await db.connect(connector, { connectionMethod: SyncStreamConnectionMethod.HTTP });
  await db.waitForFirstSync();
  emit('synced');

  await db.writeTransaction(async (tx) => {
    await tx.execute('INSERT INTO todos (id, list_id, description, completed, created_by) VALUES (?, ?, ?, 0, ?)', [
      args['todo-id'], args['list-id'], 'written offline-first', 'mallory'
    ]);
  });
  const history = [];
  const record = (state) => {
    const text = JSON.stringify(state);
    if (history.length === 0 || JSON.stringify(history[history.length - 1]) !== text) history.push(state);
  };
  for (;;) {
    const state = await rowState();
    record(state);
    const queue = await db.getUploadQueueStats();
    if (state && state.created_at && queue.count === 0) {
      clearTimeout(timer);
      emit('done', { row: state, history });
      break;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  await finish(0);
} catch (e) {
  await finish(2, `failed: ${e.stack ?? e}`);
}
