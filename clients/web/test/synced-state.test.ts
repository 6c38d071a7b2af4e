// hasSynced / lastSyncedAt (syncedState): noted only by the transaction that applies a full
// checkpoint's rows, so the status never reports a sync whose rows a reader cannot see yet.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Op } from '../src/protocol/lines.js';
import { createTables } from '../src/storage/internal-tables.js';
import { Schema } from '../src/storage/schema.js';
import type { SqlDb } from '../src/storage/sql-db.js';
import { applyCheckpoint, applyCheckpointInSlices, storeLines, syncedState, type ApplyRequest, type StoredLine } from '../src/storage/sync-store.js';
import { memoryDb } from './sqlite.js';

const schema = new Schema({ todos: { columns: { description: 'text' } } });
const FULL: ApplyRequest = { buckets: [], priority: null, applyRows: true, positions: null };

const put = (opId: number, id: string): Op => ({
  op_id: String(opId), op: 'PUT', object_type: 'todos', object_id: id, data: JSON.stringify({ id, description: `d${opId}` }), checksum: opId,
});
const line = (bucket: string, ops: Op[]): StoredLine => ({ bucket, ops, local: { after: ops.at(-1)!.op_id, checksum: 0, count: 0 } });
const count = (db: SqlDb) => Number(db.all('SELECT count(*) AS n FROM todos')[0]!['n']);
const slicing = { run: async <T>(fn: () => T) => fn(), sliceMs: 1 };

test('a first sync counts as synced only once its rows are applied', async () => {
  const db = await memoryDb();
  createTables(db, schema, () => 'c1');
  assert.deepEqual(syncedState(db), { synced: false, at: null });
  storeLines(db, [line('a', [put(1, 'r1'), put(2, 'r2')]), line('a', [put(3, 'r3')])], schema);
  // Lines stored (and positions saved), nothing visible yet: not synced.
  assert.equal(count(db), 0);
  assert.deepEqual(syncedState(db), { synced: false, at: null });
  const before = Date.now();
  await applyCheckpointInSlices(db, schema, FULL, slicing);
  assert.equal(count(db), 3);
  const s = syncedState(db);
  assert.equal(s.synced, true);
  assert.ok(s.at !== null && s.at >= before && s.at <= Date.now());
});

test('a checkpoint whose rows wait (applyRows false) or a partial one (priority) does not count', async () => {
  const db = await memoryDb();
  createTables(db, schema, () => 'c1');
  storeLines(db, [line('a', [put(1, 'r1')])]);
  applyCheckpoint(db, schema, { ...FULL, applyRows: false });
  assert.deepEqual(syncedState(db), { synced: false, at: null });
  applyCheckpoint(db, schema, { buckets: ['a'], priority: 1, applyRows: true, positions: null });
  assert.equal(count(db), 1);
  assert.deepEqual(syncedState(db), { synced: false, at: null });
  applyCheckpoint(db, schema, FULL);
  assert.equal(syncedState(db).synced, true);
});

test('a publish abandoned for a local write between slices does not count', async () => {
  const db = await memoryDb();
  createTables(db, schema, () => 'c1');
  storeLines(db, [line('a', [put(1, 'r1'), put(2, 'r2')])]);
  let steps = 0;
  // After the first step (which makes the shadows and notes the newest local write).
  const run = async <T>(fn: () => T) => {
    if (++steps === 2) db.run(`INSERT INTO todos (id, description) VALUES ('local', 'written meanwhile')`);
    return fn();
  };
  await applyCheckpointInSlices(db, schema, FULL, { run, runSharing: run, pause: async () => undefined, sliceMs: 0 });
  assert.deepEqual(db.all(`SELECT id FROM todos ORDER BY id`).map((r) => r['id']), ['local']);
  assert.deepEqual(syncedState(db), { synced: false, at: null });
});

test('a database from before the note: synced if it holds buckets, checked once', async () => {
  const db = await memoryDb();
  createTables(db, schema, () => 'c1');
  // As an older SDK left it: buckets stored, no note, no check done yet.
  storeLines(db, [line('a', [put(1, 'r1')])]);
  db.run(`DELETE FROM sl_kv WHERE key IN ('synced_at', 'synced_tracked')`);
  createTables(db, schema, () => 'c1');
  assert.deepEqual(syncedState(db), { synced: true, at: null });

  // A new database reopened in the middle of its first sync is not taken for an old one.
  const fresh = await memoryDb();
  createTables(fresh, schema, () => 'c2');
  storeLines(fresh, [line('a', [put(1, 'r1')])]);
  createTables(fresh, schema, () => 'c2');
  assert.deepEqual(syncedState(fresh), { synced: false, at: null });
});
