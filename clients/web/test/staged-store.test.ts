// The staged download path: data lines are appended to sl_staged (several per transaction, as the
// worker batches them) and merged into the op store only inside the apply transaction. These
// tests drive the real state machine and storage code and check what the app tables show.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseLine, type Op } from '../src/protocol/lines.js';
import { createTables } from '../src/storage/internal-tables.js';
import { Schema } from '../src/storage/schema.js';
import type { SqlDb } from '../src/storage/sql-db.js';
import { applyCheckpoint, loadBuckets, removeBuckets, storeLines, type StoredLine } from '../src/storage/sync-store.js';
import { initialState, step, type SyncState } from '../src/sync/state.js';
import { memoryDb } from './sqlite.js';

const schema = new Schema({ todos: { columns: { description: 'text' } } });

/** Performs the machine's actions like the worker does: store actions batched until any other action. */
class Driver {
  state: SyncState;
  resets: string[] = [];
  private batch: StoredLine[] = [];

  constructor(readonly db: SqlDb) {
    this.state = initialState(loadBuckets(db), true);
    this.send({ type: 'start' });
    this.send({ type: 'opened' });
  }

  line(value: unknown): void {
    this.send({ type: 'line', line: parseLine(value) });
  }

  /** Stores the batched lines, as the worker does when the stream goes idle. */
  idle(): void {
    storeLines(this.db, this.batch);
    this.batch = [];
  }

  private send(event: Parameters<typeof step>[1]): void {
    const { state, actions } = step(this.state, event);
    this.state = state;
    for (const a of actions) {
      if (a.type === 'store') {
        this.batch.push({ bucket: a.bucket, ops: a.ops, local: a.local });
        continue;
      }
      this.idle();
      if (a.type === 'removeBuckets') {
        this.resets.push(...a.buckets);
        removeBuckets(this.db, a.buckets);
      } else if (a.type === 'apply') {
        applyCheckpoint(this.db, schema, a);
      } else if (a.type === 'schedule') {
        this.send({ type: 'retry' });
      } else if (a.type === 'open') {
        this.send({ type: 'opened' });
      } else if (a.type === 'protocolError') {
        throw new Error(a.message);
      }
    }
  }
}

const put = (opId: number, id: string, description: string, checksum = opId): Op => ({
  op_id: String(opId), op: 'PUT', object_type: 'todos', object_id: id, data: JSON.stringify({ id, description }), checksum,
});
const remove = (opId: number, id: string, checksum = opId): Op => ({ op_id: String(opId), op: 'REMOVE', object_type: 'todos', object_id: id, checksum });
const sum = (ops: Op[]) => ops.reduce((s, o) => (s + o.checksum) >>> 0, 0);
const data = (bucket: string, ops: Op[], after: string, nextAfter: string) => ({
  data: { bucket, data: ops, has_more: false, after, next_after: nextAfter },
});
const checkpoint = (last: number, buckets: Record<string, Op[]>) => ({
  checkpoint: { last_op_id: String(last), buckets: Object.entries(buckets).map(([bucket, ops]) => ({ bucket, checksum: sum(ops), count: ops.length })) },
});
const todos = (db: SqlDb) => db.all('SELECT id, description FROM todos ORDER BY id').map((r) => `${r['id']}=${r['description']}`);
const staged = (db: SqlDb) => Number(db.all('SELECT count(*) AS n FROM sl_staged')[0]!['n']);

test('staged lines are invisible until checkpoint_complete, keep their resume position, and are merged by the apply', async () => {
  const db = await memoryDb();
  createTables(db, schema, () => 'c1');
  const d = new Driver(db);
  const a1 = [put(1, 'x', 'one'), put(2, 'y', 'two')];
  const a2 = [put(3, 'z', 'three'), put(4, 'x', 'one v2')];
  d.line(checkpoint(4, { a: [...a1, ...a2] }));
  d.line(data('a', a1, '0', '2'));
  d.line(data('a', a2, '2', '4'));
  d.idle();
  assert.equal(staged(db), 2, 'both lines staged, in one transaction');
  assert.deepEqual(todos(db), [], 'nothing of an unfinished checkpoint is visible');
  assert.deepEqual(loadBuckets(db)['a'], { after: '4', checksum: sum([...a1, ...a2]), count: 4 }, 'a reconnect resumes after the staged lines');
  d.line({ checkpoint_complete: { last_op_id: '4' } });
  assert.deepEqual(todos(db), ['x=one v2', 'y=two', 'z=three']);
  assert.equal(staged(db), 0);
  assert.equal(Number(db.all('SELECT count(*) AS n FROM sl_updated')[0]!['n']), 0, 'the apply consumed what it merged');
});

test('a row in two buckets stays while one bucket removes it, and goes when neither holds it', async () => {
  const db = await memoryDb();
  createTables(db, schema, () => 'c1');
  const d = new Driver(db);
  const a = [put(1, 'x', 'from a'), put(2, 'only-a', 'a')];
  const b = [put(3, 'x', 'from b')];
  // First download of both buckets, staged in one batch and merged in one apply.
  d.line(checkpoint(3, { a, b }));
  d.line(data('a', a, '0', '2'));
  d.line(data('b', b, '0', '3'));
  d.line({ checkpoint_complete: { last_op_id: '3' } });
  assert.deepEqual(todos(db), ['only-a=a', 'x=from b'], 'the newest op of a row wins across buckets');

  // b removes x: a still holds it, so the row stays, now with a's data.
  const b2 = [...b, remove(4, 'x')];
  d.line({ checkpoint_diff: { last_op_id: '4', updated_buckets: [{ bucket: 'b', checksum: sum(b2), count: 2 }], removed_buckets: [] } });
  d.line(data('b', [remove(4, 'x')], '3', '4'));
  d.line({ checkpoint_complete: { last_op_id: '4' } });
  assert.deepEqual(todos(db), ['only-a=a', 'x=from a']);

  // a removes x too: no bucket holds it any more.
  const a2 = [...a, remove(5, 'x')];
  d.line({ checkpoint_diff: { last_op_id: '5', updated_buckets: [{ bucket: 'a', checksum: sum(a2), count: 3 }], removed_buckets: [] } });
  d.line(data('a', [remove(5, 'x')], '2', '5'));
  d.line({ checkpoint_complete: { last_op_id: '5' } });
  assert.deepEqual(todos(db), ['only-a=a']);

  // Dropping bucket a removes its last row.
  d.line({ checkpoint_diff: { last_op_id: '5', updated_buckets: [], removed_buckets: ['a'] } });
  d.line({ checkpoint_complete: { last_op_id: '5' } });
  assert.deepEqual(todos(db), []);
});

test('a checksum mismatch after a staged first download resets the bucket, and the next download recovers', async () => {
  const db = await memoryDb();
  createTables(db, schema, () => 'c1');
  const d = new Driver(db);
  const good = [put(1, 'x', 'one'), put(2, 'y', 'two')];
  const corrupt = [put(1, 'x', 'one'), put(2, 'y', 'tw0', 999)];
  d.line(checkpoint(2, { a: good }));
  d.line(data('a', corrupt, '0', '2'));
  d.line({ checkpoint_complete: { last_op_id: '2' } });
  assert.deepEqual(d.resets, ['a']);
  assert.deepEqual(todos(db), [], 'nothing of the failed checkpoint was applied');
  assert.equal(staged(db), 0, 'the reset dropped the staged ops');
  assert.deepEqual(loadBuckets(db), {}, 'the next connection downloads the bucket from 0');
  assert.equal(Number(db.all('SELECT count(*) AS n FROM sl_oplog')[0]!['n']), 0);

  d.line(checkpoint(2, { a: good }));
  d.line(data('a', good, '0', '2'));
  d.line({ checkpoint_complete: { last_op_id: '2' } });
  assert.deepEqual(todos(db), ['x=one', 'y=two']);
  assert.equal(d.state.lastError, null);
});

test('a CLEAR inside a batch drops the ops staged before it, in order', async () => {
  const db = await memoryDb();
  createTables(db, schema, () => 'c1');
  const d = new Driver(db);
  const first = [put(1, 'x', 'old'), put(2, 'y', 'old')];
  const clear: Op = { op_id: '3', op: 'CLEAR', checksum: sum(first) };
  const second = [clear, put(4, 'y', 'new')];
  // After a CLEAR the bucket's checksum and count restart from the CLEAR itself.
  d.line({ checkpoint: { last_op_id: '4', buckets: [{ bucket: 'a', checksum: sum(second), count: 2 }] } });
  d.line(data('a', first, '0', '2'));
  d.line(data('a', second, '2', '4'));
  d.line({ checkpoint_complete: { last_op_id: '4' } });
  assert.deepEqual(todos(db), ['y=new']);
});

test('in one staged first download, the newest op of a row wins whatever order its buckets arrive in, and a PUT removed later in the same download is not shown', async () => {
  const db = await memoryDb();
  createTables(db, schema, () => 'c1');
  const d = new Driver(db);
  const b = [put(5, 'x', 'newer, from b')];
  const a = [put(1, 'x', 'older, from a'), put(2, 'gone', 'briefly'), put(3, 'kept', 'a'), remove(4, 'gone')];
  d.line(checkpoint(5, { a, b }));
  d.line(data('b', b, '0', '5'));
  d.line(data('a', a.slice(0, 2), '0', '2'));
  d.line(data('a', a.slice(2), '2', '4'));
  d.line({ checkpoint_complete: { last_op_id: '5' } });
  assert.deepEqual(todos(db), ['kept=a', 'x=newer, from b']);
  assert.deepEqual(db.all('SELECT count(*) AS n FROM sl_crud').map((r) => Number(r['n'])), [0], 'applied rows are not queued for upload');
});
