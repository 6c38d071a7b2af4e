// A full checkpoint applied in slices (applyCheckpointInSlices, as the worker does it): between
// slices the app tables show exactly the previous checkpoint, and the end state is the one the
// single-transaction apply reaches.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Op } from '../src/protocol/lines.js';
import { createTables } from '../src/storage/internal-tables.js';
import { Schema } from '../src/storage/schema.js';
import type { SqlDb } from '../src/storage/sql-db.js';
import { applyCheckpoint, applyCheckpointInSlices, storeLines, type ApplyRequest, type StoredLine } from '../src/storage/sync-store.js';
import { memoryDb } from './sqlite.js';

const schema = new Schema({ todos: { columns: { description: 'text' } }, lists: { columns: { name: 'text' } } });
const FULL: ApplyRequest = { buckets: [], priority: null, applyRows: true, positions: null };

const put = (opId: number, id: string, description: string, type = 'todos'): Op => ({
  op_id: String(opId), op: 'PUT', object_type: type, object_id: id,
  data: JSON.stringify(type === 'todos' ? { id, description } : { id, name: description }), checksum: opId,
});
const remove = (opId: number, id: string): Op => ({ op_id: String(opId), op: 'REMOVE', object_type: 'todos', object_id: id, checksum: opId });
const clear = (opId: number): Op => ({ op_id: String(opId), op: 'CLEAR', checksum: 0 });
const line = (bucket: string, ops: Op[]): StoredLine => ({ bucket, ops, local: { after: ops.at(-1)!.op_id, checksum: 0, count: 0 } });
const state = (db: SqlDb) => [
  ...db.all('SELECT id, description FROM todos ORDER BY id').map((r) => `t:${r['id']}=${r['description']}`),
  ...db.all('SELECT id, name FROM lists ORDER BY id').map((r) => `l:${r['id']}=${r['name']}`),
];

/** Checkpoint 1 (applied at once), then checkpoint 2's lines staged: many segments of two buckets. */
async function scenario(): Promise<SqlDb> {
  const db = await memoryDb();
  createTables(db, schema, () => 'c1');
  storeLines(db, [line('a', [put(1, 'old1', 'kept'), put(2, 'old2', 'removed later'), put(3, 'both', 'a v1')]),
    line('b', [put(4, 'both', 'b v1'), put(5, 'l1', 'list', 'lists')])]);
  applyCheckpoint(db, schema, FULL);
  const lines: StoredLine[] = [];
  let op = 10;
  for (let i = 0; i < 20; i++) {
    const ops: Op[] = [];
    for (let j = 0; j < 5; j++) ops.push(put(op++, `n${i}-${j}`, `new ${i}.${j}`));
    lines.push(line(i % 2 === 0 ? 'a' : 'b', ops));
  }
  lines.push(line('a', [remove(op++, 'old2'), put(op++, 'n0-0', 'rewritten')]));
  lines.push(line('b', [put(op++, 'both', 'b v2')]));
  lines.push(line('a', [put(op++, 'both', 'a v2 newest')]));
  lines.push(line('b', [remove(op++, 'both')])); // a still holds it: it stays, with a's data
  lines.push(line('b', [clear(op++), put(op++, 'afterclear', 'b after clear')])); // b drops n1-*, n3-*, …
  lines.push(line('b', [put(op++, 'l2', 'list two', 'lists')]));
  storeLines(db, lines);
  return db;
}

test('a sliced apply shows the previous checkpoint between slices and ends where one transaction ends', async () => {
  const reference = await scenario();
  const expected = state(reference);
  applyCheckpoint(reference, schema, FULL);
  const after = state(reference);

  const db = await scenario();
  assert.deepEqual(state(db), expected);
  const seen: string[][] = [];
  let steps = 0;
  let pauses = 0;
  // What a query queued between slices, or between a slice's segments, reads: a point query on a
  // row of the previous checkpoint, and everything.
  const look = () => {
    seen.push(state(db));
    assert.equal(db.all(`SELECT description FROM todos WHERE id = 'old1'`)[0]!['description'], 'kept');
  };
  const changed = await applyCheckpointInSlices(db, schema, FULL, {
    run: async (fn) => {
      look();
      steps++;
      return fn();
    },
    runSharing: async (fn) => {
      look();
      steps++;
      return fn();
    },
    pause: async () => {
      look();
      pauses++;
    },
    sliceMs: 0,
  });
  assert.ok(steps >= 26, `one slice per segment with a 0 ms budget, got ${steps} steps`);
  assert.equal(pauses, 0, 'a 0 ms slice ends after its first segment');
  seen.length = 0;
  // The same with one slice for everything: the queries run between its segments, inside its transaction.
  const db2 = await scenario();
  await applyCheckpointInSlices(db2, schema, FULL, {
    run: async (fn) => fn(),
    runSharing: async (fn) => fn(),
    pause: async () => {
      pauses++;
      seen.push(state(db2));
      assert.equal(db2.all(`SELECT description FROM todos WHERE id = 'old1'`)[0]!['description'], 'kept');
    },
    sliceMs: 60_000,
  });
  assert.ok(pauses >= 25, `a pause between segments, got ${pauses}`);
  for (const s of seen) assert.deepEqual(s, expected, 'inside a slice the app tables show the previous checkpoint');
  assert.deepEqual(state(db2), after);
  seen.length = 0;
  seen.push(expected, after);
  for (const s of seen) assert.ok(JSON.stringify(s) === JSON.stringify(expected) || JSON.stringify(s) === JSON.stringify(after),
    `between slices the app tables show a whole checkpoint, got ${JSON.stringify(s)}`);
  assert.deepEqual(JSON.stringify(seen[seen.length - 1]), JSON.stringify(after), 'the last step (dropping the shadows) sees the new checkpoint');
  assert.deepEqual(state(db), after);
  assert.ok(after.includes('t:both=a v2 newest') && !after.some((r) => r.startsWith('t:old2=')) && !after.some((r) => r.startsWith('t:n1-')));
  assert.deepEqual(changed, ['todos', 'lists']);
  for (const t of ['sl_staged', 'sl_updated', 'sl_touched']) assert.equal(Number(db.all(`SELECT count(*) AS n FROM ${t}`)[0]!['n']), 0, t);
  assert.deepEqual(db.all('SELECT * FROM sl_oplog ORDER BY bucket, type, id'), reference.all('SELECT * FROM sl_oplog ORDER BY bucket, type, id'));
});

test('a local write between slices stays visible: that apply saves positions only, the next one applies the rows', async () => {
  const db = await scenario();
  let steps = 0;
  const run = async <T>(fn: () => T) => {
    if (++steps === 3) db.run(`INSERT INTO todos (id, description) VALUES ('local', 'mine')`);
    return fn();
  };
  const changed = await applyCheckpointInSlices(db, schema, { ...FULL, positions: { a: { after: '99', checksum: 7, count: 3 } } }, {
    run, runSharing: run, pause: async () => undefined, sliceMs: 0,
  });
  assert.deepEqual(changed, []);
  const now = state(db);
  assert.ok(now.includes('t:local=mine') && now.includes('t:old2=removed later') && !now.some((r) => r.startsWith('t:n')), JSON.stringify(now));
  assert.equal(db.all(`SELECT after FROM sl_buckets WHERE name = 'a'`)[0]!['after'], '99');
  // Upload done, write checkpoint reached: the machine's next full apply shows the synced state.
  db.run('DELETE FROM sl_crud');
  applyCheckpoint(db, schema, FULL);
  const reference = await scenario();
  applyCheckpoint(reference, schema, FULL);
  assert.deepEqual(state(db), state(reference), 'the local row (never synced) is reverted, every synced row applied');
});

test('a crash between slices keeps the previous checkpoint visible, and the next apply replays the stage to the same end state', async () => {
  const reference = await scenario();
  applyCheckpoint(reference, schema, FULL);
  for (const crashAt of [3, 10, 20]) {
    const db = await scenario();
    const before = state(db);
    let steps = 0;
    const run = async <T>(fn: () => T) => {
      if (++steps === crashAt) throw new Error('crash');
      return fn();
    };
    await assert.rejects(applyCheckpointInSlices(db, schema, FULL, { run, runSharing: run, pause: async () => undefined, sliceMs: 0 }), /crash/);
    assert.deepEqual(state(db), before, 'slices committed, nothing visible moved');
    // The temp shadows die with the connection; a reopened worker starts without them.
    db.run('DROP TABLE IF EXISTS temp.sl_shadow_todos');
    db.run('DROP TABLE IF EXISTS temp.sl_shadow_lists');
    await applyCheckpointInSlices(db, schema, FULL, { run: async (fn) => fn(), runSharing: async (fn) => fn(), pause: async () => undefined, sliceMs: 0 });
    assert.deepEqual(state(db), state(reference), `crash at step ${crashAt}`);
    assert.deepEqual(db.all('SELECT * FROM sl_oplog ORDER BY bucket, type, id'), reference.all('SELECT * FROM sl_oplog ORDER BY bucket, type, id'));
  }
});

test('a bulk publish (its triggers dropped while it copies) leaves every CRUD trigger in place: local writes are still queued', async () => {
  const db = await memoryDb();
  createTables(db, schema, () => 'c1');
  const triggers = () => db.all(`SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name`).map((r) => String(r['name']));
  const before = triggers();
  const ops: Op[] = [];
  for (let i = 1; i <= 2500; i++) ops.push(put(i, `r${i}`, `row ${i}`));
  const lines: StoredLine[] = [];
  for (let i = 0; i < ops.length; i += 500) lines.push(line('a', ops.slice(i, i + 500)));
  storeLines(db, lines);
  await applyCheckpointInSlices(db, schema, FULL, { run: async (fn) => fn(), sliceMs: 40 });
  assert.equal(Number(db.all('SELECT count(*) AS n FROM todos')[0]!['n']), 2500);
  assert.equal(Number(db.all('SELECT count(*) AS n FROM sl_crud')[0]!['n']), 0, 'synced rows are not queued for upload');
  assert.deepEqual(triggers(), before);
  db.run(`INSERT INTO todos (id, description) VALUES ('local', 'mine')`);
  db.run(`UPDATE todos SET description = 'edited' WHERE id = 'r1'`);
  assert.deepEqual(db.all('SELECT op, id FROM sl_crud ORDER BY op_id').map((r) => `${r['op']} ${r['id']}`), ['PUT local', 'PATCH r1']);
});
