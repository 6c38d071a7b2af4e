// Local writes land in the upload queue grouped by local transaction; applying synced data does not.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTables } from '../src/storage/internal-tables.js';
import { localWrite } from '../src/storage/local-writes.js';
import { Schema, SchemaError } from '../src/storage/schema.js';
import { applyCheckpoint, storeOps } from '../src/storage/sync-store.js';
import { oldestTransactions, pendingCount, removeTransactions } from '../src/storage/upload-queue.js';
import { memoryDb } from './sqlite.js';

const schema = new Schema({ todos: { columns: { description: 'text', done: 'integer' } } });

test('INSERT, UPDATE and DELETE become PUT, PATCH and DELETE entries of their local transaction', async () => {
  const db = await memoryDb();
  createTables(db, schema, () => 'c1');
  localWrite(db, () => {
    db.run("INSERT INTO todos (id, description, done) VALUES ('a', 'Milk', 0)");
    db.run("INSERT INTO todos (id, description, done) VALUES ('b', 'Eggs', 0)");
  });
  localWrite(db, () => db.run("UPDATE todos SET done = 1 WHERE id = 'a'"));
  localWrite(db, () => db.run("DELETE FROM todos WHERE id = 'b'"));
  const txs = oldestTransactions(db, 10);
  assert.deepEqual(txs.map((t) => [t.tx_id, t.ops.map((o) => `${o.op} ${o.id}`)]), [
    [1, ['PUT a', 'PUT b']], [2, ['PATCH a']], [3, ['DELETE b']],
  ]);
  assert.deepEqual(txs[0]!.ops[0]!.data, { description: 'Milk', done: 0 });
  assert.deepEqual(txs[1]!.ops[0]!.data, { done: 1 }, 'a PATCH carries only the changed columns');
  assert.equal(txs[2]!.ops[0]!.data, undefined);
  localWrite(db, () => db.run("UPDATE todos SET description = NULL, done = 1 WHERE id = 'a'"));
  assert.deepEqual(oldestTransactions(db, 10).at(-1)!.ops[0]!.data, { description: null },
    'a column set to NULL is sent, one set to the value it had is not');
  removeTransactions(db, [4]);
  localWrite(db, () => db.run("INSERT INTO todos (id, description) VALUES ('c', NULL)"));
  assert.deepEqual(oldestTransactions(db, 10).at(-1)!.ops[0]!.data, {}, 'a PUT leaves NULL columns to the server defaults');
  removeTransactions(db, [1, 2]);
  assert.equal(pendingCount(db), 2);
});

test('applying downloaded rows does not enqueue uploads, and a failed local transaction leaves nothing queued', async () => {
  const db = await memoryDb();
  createTables(db, schema, () => 'c1');
  storeOps(db, 'b', [{ op_id: '1', op: 'PUT', object_type: 'todos', object_id: 'x', data: '{"id":"x","description":"synced","done":0}', checksum: 1 }],
    { after: '1', checksum: 1, count: 1 });
  assert.deepEqual(applyCheckpoint(db, schema, { buckets: ['b'], priority: null, applyRows: true, positions: null }), ['todos']);
  assert.equal(pendingCount(db), 0);
  assert.deepEqual(db.all('SELECT id, description FROM todos').map((r) => ({ ...r })), [{ id: 'x', description: 'synced' }]);
  assert.throws(() => localWrite(db, () => {
    db.run("INSERT INTO todos (id, description) VALUES ('y', 'half')");
    db.run('INSERT INTO no_such_table VALUES (1)');
  }));
  assert.equal(pendingCount(db), 0);
  assert.deepEqual(db.all("SELECT id FROM todos WHERE id = 'y'"), []);
});

test('schema errors name the table or column and the fix', () => {
  assert.throws(() => new Schema({ 'bad-name': { columns: {} } }), SchemaError);
  assert.throws(() => new Schema({ sl_x: { columns: {} } }), /reserved/);
  assert.throws(() => new Schema({ t: { columns: { id: 'text' } } }), /implicit/);
  assert.throws(() => new Schema({ t: { columns: { c: 'blob' as 'text' } } }), /use text, integer or real/);
});
