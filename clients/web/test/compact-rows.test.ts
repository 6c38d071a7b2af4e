// Compact data lines (docs/sync-api.md, "Compact rows"): parsed strictly, checksums verified by the
// state machine, and stored and applied — in one transaction or in slices, with removes, clears,
// rows held by two buckets and shapes in any column order — to exactly the app rows, op ids and
// checksums that the same ops in standard lines give.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PREPARED_CHUNK_OPS } from '../src/storage/compact-runs.js';
import { MalformedLineError, parseLine, type CompactOp, type CompactOps, type Op } from '../src/protocol/lines.js';
import { createTables } from '../src/storage/internal-tables.js';
import { Schema } from '../src/storage/schema.js';
import type { SqlDb } from '../src/storage/sql-db.js';
import { applyCheckpoint, applyCheckpointInSlices, removeBuckets, storeLines, storeLinesPausing, type ApplyRequest, type ChunkOps, type StoredLine } from '../src/storage/sync-store.js';
import { initialState, step, type SyncAction, type SyncEvent, type SyncState } from '../src/sync/state.js';
import { memoryDb } from './sqlite.js';

const schema = new Schema({ todos: { columns: { description: 'text', done: 'integer' } }, lists: { columns: { name: 'text' } } });
const FULL: ApplyRequest = { buckets: [], priority: null, applyRows: true, positions: null };

const put = (opId: number, id: string, description: string, type = 'todos'): Op => ({
  op_id: String(opId), op: 'PUT', object_type: type, object_id: id,
  // Lists' rows list their columns the other way round: shapes follow each row's own key order.
  data: JSON.stringify(type === 'todos' ? { id, description, done: opId % 2, extra: 'x' } : { name: description, id }), checksum: opId,
});
const remove = (opId: number, id: string): Op => ({ op_id: String(opId), op: 'REMOVE', object_type: 'todos', object_id: id, subkey: `s${id}`, checksum: opId });
const clear = (opId: number): Op => ({ op_id: String(opId), op: 'CLEAR', checksum: 0 });
const move = (opId: number): Op => ({ op_id: String(opId), op: 'MOVE', checksum: 3 });

/** The same ops as the server's compact writer sends them (protocol CompactRows). */
function compactOf(ops: Op[]): CompactOps {
  const shapes: [string | null, string[]][] = [];
  const shapeOf = (type: string | null, columns: string[]) => {
    let i = shapes.findIndex(([t, c]) => t === type && JSON.stringify(c) === JSON.stringify(columns));
    if (i < 0) i = shapes.push([type, columns]) - 1;
    return i;
  };
  const out: CompactOp[] = ops.map((o) => {
    const kind = (['PUT', 'REMOVE', 'MOVE', 'CLEAR'] as const).indexOf(o.op) as 0 | 1 | 2 | 3;
    const id = Number(o.op_id);
    if (kind >= 2) return [id, o.checksum, kind];
    if (o.data != null) {
      const row = JSON.parse(o.data) as Record<string, unknown>;
      return [id, o.checksum, kind, o.object_id!, Object.values(row), shapeOf(o.object_type!, Object.keys(row))];
    }
    const existing = shapes.findIndex(([t]) => t === o.object_type);
    const op: CompactOp = [id, o.checksum, kind, o.object_id!, null, existing >= 0 ? existing : shapeOf(o.object_type!, [])];
    if (o.subkey != null) op.push(o.subkey);
    return op;
  });
  return { shapes, ops: out };
}

const line = (bucket: string, ops: Op[], compact: boolean): StoredLine => ({
  bucket, ops: compact ? [] : ops, compact: compact ? compactOf(ops) : null, local: { after: ops.at(-1)!.op_id, checksum: 0, count: 0 },
});
const state = (db: SqlDb) => [
  ...db.all('SELECT id, description, done FROM todos ORDER BY id').map((r) => `t:${r['id']}=${r['description']}/${r['done']}`),
  ...db.all('SELECT id, name FROM lists ORDER BY id').map((r) => `l:${r['id']}=${r['name']}`),
];
const oplog = (db: SqlDb) => db.all('SELECT bucket, type, id, op_id, checksum FROM sl_oplog ORDER BY bucket, type, id');

/**
 * Checkpoint 1 applied, then checkpoint 2's lines stored (compact or standard): the P4-like bulk plus
 * every odd case. eager: stored as the worker stores them, merged into the op store and the shadows
 * at once, in batches of three lines.
 */
async function scenario(compact: boolean, eager = false, chunkOps: ChunkOps | null = null): Promise<SqlDb> {
  const db = await memoryDb();
  createTables(db, schema, () => 'c1');
  storeLines(db, [line('a', [put(1, 'old1', 'kept'), put(2, 'old2', 'removed later'), put(3, 'both', 'a v1')], compact),
    line('b', [put(4, 'both', 'b v1'), put(5, 'l1', 'list', 'lists')], compact)]);
  applyCheckpoint(db, schema, FULL);
  const lines: StoredLine[] = [];
  let op = 10;
  for (let i = 0; i < 6; i++) {
    const ops: Op[] = [];
    for (let j = 0; j < 1500; j++) ops.push(put(op++, `n${i}-${j}`, `new "${i}" \\ ${j} ü`));
    lines.push(line(i % 2 === 0 ? 'a' : 'b', ops, compact));
  }
  lines.push(line('a', [remove(op++, 'old2'), put(op++, 'n0-0', 'rewritten'), move(op++), put(op++, 'l3', 'three', 'lists')], compact));
  lines.push(line('b', [put(op++, 'both', 'b v2')], compact));
  lines.push(line('a', [put(op++, 'both', 'a v2 newest')], compact));
  lines.push(line('b', [remove(op++, 'both')], compact)); // a still holds it: it stays, with a's (compact) row
  lines.push(line('b', [put(op++, 'gone', 'before clear'), clear(op++), put(op++, 'afterclear', 'b after clear')], compact));
  lines.push(line('b', [put(op++, 'l2', 'list two', 'lists')], compact));
  // One row twice in one run, out of id order: the newer op wins however the run is ordered, also
  // when (eager stores merge a run sorted by id, in chunks of 200) its two ops are in two chunks.
  const fill: Op[] = [];
  for (let j = 0; j < 197; j++) fill.push(put(op++, `a${String(j).padStart(3, '0')}`, `filler ${j}`));
  lines.push(line('a', [put(op++, 'dup-z', 'z old'), put(op++, 'dup-a', 'a'), ...fill, put(op++, 'dup-z', 'z newest'), put(op++, 'dup-m', 'm')], compact));
  if (eager && chunkOps !== null) {
    for (let i = 0; i < lines.length; i += 3) await storeLinesPausing(db, lines.slice(i, i + 3), schema, async () => {}, chunkOps);
  } else if (eager) {
    for (let i = 0; i < lines.length; i += 3) storeLines(db, lines.slice(i, i + 3), schema);
  } else {
    storeLines(db, lines);
  }
  return db;
}

const sliced = (db: SqlDb, onStep: () => void = () => {}) =>
  applyCheckpointInSlices(db, schema, FULL, { run: async (fn) => (onStep(), fn()), sliceMs: 0 });

test('a compact checkpoint applies to the same rows, op ids and checksums as the standard one (one transaction)', async () => {
  const standard = await scenario(false);
  applyCheckpoint(standard, schema, FULL);
  const compact = await scenario(true);
  assert.ok(Number(compact.all('SELECT count(*) AS n FROM sl_staged WHERE shape IS NOT NULL')[0]!['n']) > 0, 'compact segments staged');
  applyCheckpoint(compact, schema, FULL);
  assert.deepEqual(state(compact), state(standard));
  assert.deepEqual(oplog(compact), oplog(standard));
  const rows = state(compact);
  assert.ok(rows.includes('t:both=a v2 newest/1') && rows.includes('t:n0-5=new "0" \\ 5 ü/1') && rows.includes('l:l3=three'));
  assert.ok(!rows.some((r) => r.startsWith('t:old2=') || r.startsWith('t:gone=') || r.startsWith('t:n1-')), 'removed and cleared rows are gone');
});

test('a compact checkpoint applied in slices ends where the standard one ends, showing whole checkpoints in between', async () => {
  const reference = await scenario(false);
  const before = state(reference);
  applyCheckpoint(reference, schema, FULL);
  const after = state(reference);
  const db = await scenario(true);
  let steps = 0;
  await applyCheckpointInSlices(db, schema, FULL, {
    run: async (fn) => {
      const now = JSON.stringify(state(db));
      assert.ok(now === JSON.stringify(before) || now === JSON.stringify(after), 'a whole checkpoint between slices');
      steps++;
      return fn();
    },
    sliceMs: 0,
  });
  assert.ok(steps > 10, `one slice per segment, got ${steps}`);
  assert.deepEqual(state(db), after);
  assert.deepEqual(oplog(db), oplog(reference));
  for (const t of ['sl_staged', 'sl_updated']) assert.equal(Number(db.all(`SELECT count(*) AS n FROM ${t}`)[0]!['n']), 0, t);
});

test('a crash between compact slices keeps the previous checkpoint, and the next apply reaches the same end state', async () => {
  const reference = await scenario(false);
  applyCheckpoint(reference, schema, FULL);
  for (const crashAt of [2, 5, 9]) {
    const db = await scenario(true);
    const before = state(db);
    let steps = 0;
    await assert.rejects(applyCheckpointInSlices(db, schema, FULL, {
      run: async (fn) => {
        if (++steps === crashAt) throw new Error('crash');
        return fn();
      },
      sliceMs: 0,
    }), /crash/);
    assert.deepEqual(state(db), before);
    db.run('DROP TABLE IF EXISTS temp.sl_shadow_todos');
    db.run('DROP TABLE IF EXISTS temp.sl_shadow_lists');
    await applyCheckpointInSlices(db, schema, FULL, { run: async (fn) => fn(), sliceMs: 0 });
    assert.deepEqual(state(db), state(reference), `crash at step ${crashAt}`);
  }
});

test('a row stored compact is re-derived by column name when another bucket drops it or the app touched it', async () => {
  const db = await memoryDb();
  createTables(db, schema, () => 'c1');
  storeLines(db, [line('a', [put(1, 'r', 'from a')], true), line('b', [put(2, 'r', 'from b')], true)]);
  applyCheckpoint(db, schema, FULL);
  assert.deepEqual(state(db), ['t:r=from b/0']);
  storeLines(db, [line('b', [remove(3, 'r')], true)]);
  applyCheckpoint(db, schema, FULL);
  assert.deepEqual(state(db), ['t:r=from a/1'], 'b dropped it: a\'s compact row, read by column name');
  db.run(`UPDATE todos SET description = 'local' WHERE id = 'r'`);
  db.run('DELETE FROM sl_crud');
  applyCheckpoint(db, schema, FULL);
  assert.deepEqual(state(db), ['t:r=from a/1'], 'a local write is reverted to the synced compact row');
});

function run(state: SyncState, ...events: SyncEvent[]): { state: SyncState; actions: SyncAction[] } {
  const actions: SyncAction[] = [];
  for (const e of events) {
    const r = step(state, e);
    state = r.state;
    actions.push(...r.actions);
  }
  return { state, actions };
}
const ev = (v: unknown): SyncEvent => ({ type: 'line', line: parseLine(v) });

test('a compact line is checked strictly, and its checksums verify the checkpoint like a standard line', () => {
  const rows = { bucket: 'a', after: '0', next_after: '9', has_more: false, shapes: [['todos', ['id', 'description']]],
    ops: [[1, 5, 0, 't1', ['t1', 'x'], 0], [2, 7, 1, 't0', null, 0, 'sub'], [3, 4294967295, 2], ['9', 1, 0, 't2', ['t2', 'y'], 0]] };
  const parsed = parseLine({ rows });
  assert.equal(parsed.kind, 'data');
  const sum = (5 + 7 + 4294967295 + 1) >>> 0;
  const good = run(initialState({}, true), { type: 'start' }, { type: 'opened' },
    ev({ checkpoint: { last_op_id: '9', buckets: [{ bucket: 'a', checksum: sum, count: 4 }] } }), ev({ rows }),
    ev({ checkpoint_complete: { last_op_id: '9' } }));
  assert.equal(good.actions.find((a) => a.type === 'store')?.type, 'store');
  assert.equal(good.actions.at(-1)?.type, 'apply');
  assert.equal(good.state.buckets['a']?.count, 4);
  const bad = run(initialState({}, true), { type: 'start' }, { type: 'opened' },
    ev({ checkpoint: { last_op_id: '9', buckets: [{ bucket: 'a', checksum: sum + 1, count: 4 }] } }), ev({ rows }),
    ev({ checkpoint_complete: { last_op_id: '9' } }));
  assert.ok(bad.actions.some((a) => a.type === 'removeBuckets'), 'a checksum mismatch drops the bucket');
  const beyond = run(initialState({}, true), { type: 'start' }, { type: 'opened' },
    ev({ checkpoint: { last_op_id: '8', buckets: [{ bucket: 'a', checksum: sum, count: 4 }] } }), ev({ rows }));
  assert.ok(beyond.actions.some((a) => a.type === 'protocolError'), 'an op beyond the checkpoint ends the session');
  for (const op of [[1.5, 0, 0, 'x', [], 0], [1, -1, 2], [1, 0, 4], [1, 0, 0, 7, [], 0], [1, 0, 0, 'x', ['a', 'b', 'c'], 0], [1, 0, 0, 'x', [], 3]]) {
    assert.throws(() => parseLine({ rows: { ...rows, ops: [op] } }), MalformedLineError, JSON.stringify(op));
  }
});

test('eager stores merge compact lines at once, show nothing before the publish, and end where the standard apply ends', async () => {
  const reference = await scenario(false);
  const before = state(reference);
  applyCheckpoint(reference, schema, FULL);
  const db = await scenario(true, true);
  assert.deepEqual(state(db), before, 'merged, not visible');
  assert.equal(Number(db.all('SELECT count(*) AS n FROM sl_staged')[0]!['n']), 0, 'nothing left staged');
  assert.ok(Number(db.all('SELECT count(*) AS n FROM temp.sl_shadow_todos')[0]!['n']) > 4000, 'the shadow holds the rows');
  await sliced(db);
  assert.deepEqual(state(db), state(reference));
  assert.deepEqual(oplog(db), oplog(reference));
  assert.equal(db.all(`SELECT description FROM todos WHERE id = 'dup-z'`)[0]!['description'], 'z newest', 'a row twice in one run');
  for (const t of ['sl_staged', 'sl_updated', 'sl_merged']) assert.equal(Number(db.all(`SELECT count(*) AS n FROM ${t}`)[0]!['n']), 0, t);
});

test('eager stores end the same whatever chunk sizes the worker asks for, asking before every chunk', async () => {
  const reference = await scenario(false);
  applyCheckpoint(reference, schema, FULL);
  // 1000: a data line at once (no queries); 100: while queries wait; 1 and a size that changes
  // between chunks, as the worker's does when queries start or stop in the middle of a line.
  for (const sizes of [[1000], [100], [1], [3, 500, 7, 1200]]) {
    let asked = 0;
    const db = await scenario(true, true, () => sizes[asked++ % sizes.length]!);
    await sliced(db);
    assert.deepEqual(state(db), state(reference), `chunks of ${sizes}`);
    assert.deepEqual(oplog(db), oplog(reference), `chunks of ${sizes}`);
    assert.equal(db.all(`SELECT description FROM todos WHERE id = 'dup-z'`)[0]!['description'], 'z newest', `chunks of ${sizes}`);
    // A chunk holds at least a prepared chunk's ops (compact-runs.ts), whatever smaller size is asked.
    const expectedAtLeast = sizes.length === 1 ? Math.ceil(9000 / Math.max(sizes[0]!, PREPARED_CHUNK_OPS)) : 9000 / 1200;
    assert.ok(asked >= expectedAtLeast, `asked ${asked} times for chunks of ${sizes}`);
  }
});

test('after eager stores, a lost shadow (crash), a removed bucket, a one-transaction apply or a local write still end right', async () => {
  const reference = await scenario(false);
  applyCheckpoint(reference, schema, FULL);
  // A crash: the worker's temp tables are gone; the op id ranges bring the rows back through sl_updated.
  let db = await scenario(true, true);
  for (const r of db.all(`SELECT name FROM sqlite_temp_master WHERE type = 'table' AND name LIKE 'sl_shadow%'`)) db.run(`DROP TABLE temp.${r['name']}`);
  await sliced(db);
  assert.deepEqual(state(db), state(reference), 'crash');
  // A partial (one-transaction) apply in between.
  db = await scenario(true, true);
  applyCheckpoint(db, schema, FULL);
  assert.deepEqual(state(db), state(reference), 'one-transaction apply');
  // A bucket removed (checksum mismatch) after eager stores: its rows go, the other bucket's stay.
  db = await scenario(true, true);
  const ref2 = await scenario(false);
  removeBuckets(db, ['b']);
  removeBuckets(ref2, ['b']);
  await sliced(db);
  applyCheckpoint(ref2, schema, FULL);
  assert.deepEqual(state(db), state(ref2), 'bucket removed');
  // A local write after the eager stores: the publish leaves it visible, the next apply shows the synced state.
  db = await scenario(true, true);
  db.run(`INSERT INTO todos (id, description) VALUES ('local', 'mine')`);
  await sliced(db);
  assert.ok(state(db).includes('t:local=mine/null'));
  db.run('DELETE FROM sl_crud');
  applyCheckpoint(db, schema, FULL);
  assert.deepEqual(state(db), state(reference), 'local write reverted, synced rows applied');
});

test('a lost shadow with many overlapping op id ranges marks exactly the rows of those ranges, and the apply ends right', async () => {
  const reference = await scenario(false);
  applyCheckpoint(reference, schema, FULL);
  // Small, changing chunks (at least a prepared chunk's 100 ops each): over a hundred ranges, each
  // spanning most of its line (a chunk is sorted by object id).
  let asked = 0;
  const sizes = [7, 3, 50];
  const db = await scenario(true, true, () => sizes[asked++ % sizes.length]!);
  // Ranges of every other kind too: one op, contained in another, adjacent, another table's, no
  // table, and two with a row of their bucket between them (old1, op 1) that no range covers.
  db.run(`INSERT INTO sl_merged (bucket, type, lo, hi) VALUES ('a', 'todos', 0, 0), ('a', 'todos', 2, 3), ('a', 'todos', 20, 30),
    ('a', 'todos', 31, 40), ('b', 'todos', 4, 4), ('b', 'lists', 5, 5), ('a', 'lists', 0, 99999), ('a', NULL, 0, 99999)`);
  const ranges = Number(db.all('SELECT count(*) AS n FROM sl_merged')[0]!['n']);
  assert.ok(ranges > 100, `${ranges} ranges`);
  const overlapping = Number(db.all(`SELECT count(*) AS n FROM sl_merged m1 JOIN sl_merged m2 ON m1.rowid < m2.rowid
    AND m1.bucket = m2.bucket AND m1.type = m2.type AND m1.lo <= m2.hi AND m2.lo <= m1.hi`)[0]!['n']);
  assert.ok(overlapping > 100, `${overlapping} overlapping pairs`);
  // What the former join (every range against the op store) gives, with the rows already marked.
  const rows = (sql: string) => db.all(sql).map((r) => `${r['bucket']}|${r['type']}|${r['id']}`).sort();
  const expected = rows(`SELECT bucket, type, id FROM sl_updated UNION SELECT o.bucket, o.type, o.id FROM sl_merged m
    JOIN sl_oplog o ON o.bucket = m.bucket AND o.type = m.type AND o.op_id BETWEEN m.lo AND m.hi`);
  assert.ok(expected.length > 9000 && expected.includes('b|lists|l1') && !expected.includes('a|todos|old1'), `${expected.length} rows`);
  // A removed bucket (none here) abandons the shadows and re-derives the ranges, as after a crash.
  for (const r of db.all(`SELECT name FROM sqlite_temp_master WHERE type = 'table' AND name LIKE 'sl_shadow%'`)) db.run(`DROP TABLE temp.${r['name']}`);
  removeBuckets(db, []);
  assert.deepEqual(rows('SELECT bucket, type, id FROM sl_updated'), expected);
  assert.equal(Number(db.all('SELECT count(*) AS n FROM sl_merged')[0]!['n']), 0);
  await sliced(db);
  assert.deepEqual(state(db), state(reference));
  assert.deepEqual(oplog(db), oplog(reference));
});
