// The op store (sl_oplog) is keyed by row, PRIMARY KEY (type, id, bucket), with no other index:
// databases made with the former key (bucket, type, id) and its index sl_oplog_row are rebuilt once
// at open without losing a row, and the statements a sync runs per op or per line find rows by the
// primary key (EXPLAIN QUERY PLAN), each stored op writing one B-tree.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CompactOp, Op } from '../src/protocol/lines.js';
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
const line = (bucket: string, ops: Op[]): StoredLine => ({ bucket, ops, local: { after: ops.at(-1)!.op_id, checksum: 0, count: 0 } });
/** PUTs of todos as one compact line (ops: [op id, object id, description]). */
const compactLine = (bucket: string, ops: [number, string, string][]): StoredLine => ({
  bucket, ops: [], local: { after: String(Math.max(...ops.map((o) => o[0]))), checksum: 0, count: 0 },
  compact: { shapes: [['todos', ['id', 'description']]], ops: ops.map(([opId, id, d]): CompactOp => [opId, opId, 0, id, [id, d], 0]) },
});
const state = (db: SqlDb) => [
  ...db.all('SELECT id, description FROM todos ORDER BY id').map((r) => `t:${r['id']}=${r['description']}`),
  ...db.all('SELECT id, name FROM lists ORDER BY id').map((r) => `l:${r['id']}=${r['name']}`),
];
const ALL_OPLOG = 'SELECT bucket, type, id, op_id, checksum, data, shape FROM sl_oplog ORDER BY bucket, type, id';

/** The op store's layout before this change (with or without the shape column of compact rows). */
function oldOplog(db: SqlDb, withShape: boolean): void {
  db.run(`CREATE TABLE sl_oplog (bucket TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL,
     op_id INTEGER NOT NULL, checksum INTEGER NOT NULL, data TEXT${withShape ? ', shape INTEGER' : ''}, PRIMARY KEY (bucket, type, id)) WITHOUT ROWID`);
  db.run('CREATE INDEX sl_oplog_row ON sl_oplog (type, id, op_id)');
}

/** Records every statement run through it. */
function recording(db: SqlDb): { db: SqlDb; sql: string[] } {
  const sql: string[] = [];
  return {
    sql,
    db: {
      run: (s, bind) => (sql.push(s), db.run(s, bind)),
      all: (s, bind) => (sql.push(s), db.all(s, bind)),
      changes: () => db.changes(),
    },
  };
}

const rootpage = (db: SqlDb) => Number(db.all(`SELECT rootpage FROM sqlite_schema WHERE name = 'sl_oplog'`)[0]!['rootpage']);
const key = (db: SqlDb) => db.all(`SELECT name FROM pragma_table_info('sl_oplog') WHERE pk > 0 ORDER BY pk`).map((r) => String(r['name']));
const indexes = (db: SqlDb) => db.all(`SELECT name, origin FROM pragma_index_list('sl_oplog') ORDER BY name`).map((r) => `${r['name']} (${r['origin']})`);

for (const withShape of [true, false]) {
  test(`an op store with the former key${withShape ? '' : ' and no shape column'} is rebuilt once at open, every row kept`, async () => {
    const db = await memoryDb();
    oldOplog(db, withShape);
    db.run(`CREATE TABLE sl_shapes (id INTEGER PRIMARY KEY, shape TEXT NOT NULL UNIQUE)`);
    db.run(`INSERT INTO sl_shapes (id, shape) VALUES (1, '["todos",["id","description"]]')`);
    const rows: unknown[][] = [
      ['a', 'todos', 't1', 5, 55, '{"id":"t1","description":"one"}', null],
      ['a', 'todos', 't2', 7, -3, null, null],
      ['a', 'lists', 'l1', 8, 2147483648, '{"id":"l1","name":"list"}', null],
      ['b', 'todos', 't1', 9, 0, '{"id":"t1","description":"one, newer"}', null],
      ['b', 'todos', 'ü "q"', 9007199254740993n, 1, '["ü \\"q\\"","compact"]', withShape ? 1 : null],
      ['user_lists["l1"]', 'todos', 't0', 1, 1, '{}', null],
    ];
    for (const r of rows) {
      db.run(`INSERT INTO sl_oplog (bucket, type, id, op_id, checksum, data${withShape ? ', shape' : ''}) VALUES (?, ?, ?, ?, ?, ?${withShape ? ', ?' : ''})`,
        withShape ? r : r.slice(0, 6));
    }
    // A compact row of a database that had the shape column: the rebuild must keep its shape.
    const before = db.all(withShape ? ALL_OPLOG : ALL_OPLOG.replace(', shape', ', NULL AS shape'));
    assert.equal(before.length, rows.length);
    assert.deepEqual(key(db), ['bucket', 'type', 'id']);
    const old = rootpage(db);

    const first = recording(db);
    createTables(first.db, schema, () => 'c1');
    assert.ok(first.sql.some((s) => s.includes('sl_oplog_rekeyed')), 'rebuilt');
    assert.deepEqual(db.all(ALL_OPLOG), before, 'every row and column kept');
    assert.equal(db.all(`SELECT shape FROM sl_oplog WHERE id = 'ü "q"'`)[0]!['shape'], withShape ? 1 : null);
    assert.equal(BigInt(db.all(`SELECT op_id FROM sl_oplog WHERE id = 'ü "q"'`)[0]!['op_id'] as number | bigint), 9007199254740993n);
    assert.deepEqual(key(db), ['type', 'id', 'bucket']);
    assert.deepEqual(indexes(db), ['sqlite_autoindex_sl_oplog_1 (pk)'], 'the primary key only, no sl_oplog_row');
    assert.deepEqual(db.all(`SELECT name FROM sqlite_schema WHERE tbl_name LIKE 'sl_oplog%' ORDER BY name`).map((r) => r['name']), ['sl_oplog']);
    assert.equal(db.all('PRAGMA integrity_check')[0]!['integrity_check'], 'ok');
    const rebuilt = rootpage(db);
    assert.notEqual(rebuilt, old);

    // The next open finds the new layout and leaves it alone.
    const second = recording(db);
    createTables(second.db, schema, () => 'c2');
    assert.ok(!second.sql.some((s) => s.includes('sl_oplog_rekeyed')), 'not rebuilt again');
    assert.equal(rootpage(db), rebuilt);
    assert.deepEqual(db.all(ALL_OPLOG), before);

    // The migrated store syncs on: a newer op of a migrated row, a REMOVE of one, then an apply
    // that re-derives every row (all marked touched) from the migrated store.
    storeLines(db, [line('a', [put(20, 't1', 'one, newest'), remove(21, 't2')]), line('b', [put(22, 'l9', 'nine', 'lists')])]);
    db.run('INSERT OR IGNORE INTO sl_touched (type, id) SELECT type, id FROM sl_oplog');
    applyCheckpoint(db, schema, FULL);
    assert.deepEqual(state(db), ['t:t0=null', 't:t1=one, newest', `t:ü "q"=${withShape ? 'compact' : 'null'}`, 'l:l1=list', 'l:l9=nine']);
  });
}

test('a new database is made with the row key and is never rebuilt', async () => {
  const db = await memoryDb();
  const first = recording(db);
  createTables(first.db, schema, () => 'c1');
  assert.deepEqual(key(db), ['type', 'id', 'bucket']);
  assert.deepEqual(indexes(db), ['sqlite_autoindex_sl_oplog_1 (pk)']);
  assert.ok(!first.sql.some((s) => s.includes('sl_oplog_rekeyed')));
});

/**
 * Runs every statement through EXPLAIN QUERY PLAN first (with its bind values, against the tables
 * as they are at that moment), keeping the plans of those that read or write sl_oplog.
 */
function planning(db: SqlDb): { db: SqlDb; plans: { sql: string; plan: string[] }[] } {
  const plans: { sql: string; plan: string[] }[] = [];
  const explain = (sql: string, bind?: readonly unknown[]) => {
    if (!sql.includes('sl_oplog') || !/^\s*(SELECT|INSERT|DELETE|UPDATE|WITH)/i.test(sql)) return;
    plans.push({ sql, plan: db.all(`EXPLAIN QUERY PLAN ${sql}`, bind).map((r) => String(r['detail'])) });
  };
  return {
    plans,
    db: {
      run: (sql, bind) => (explain(sql, bind), db.run(sql, bind)),
      all: (sql, bind) => (explain(sql, bind), db.all(sql, bind)),
      changes: () => db.changes(),
    },
  };
}

test('a sync finds op store rows by the primary key: no scan of sl_oplog, and each stored op writes one B-tree', async () => {
  const raw = await memoryDb();
  createTables(raw, schema, () => 'c1');
  const { db, plans } = planning(raw);
  // Standard lines in one transaction: PUTs, a row in two buckets, a REMOVE, superseded ops (SUPERSEDED, rederive).
  storeLines(db, [line('a', [put(1, 'r1', 'a1'), put(2, 'r2', 'a2'), put(3, 'shared', 'a3'), put(4, 'l1', 'list', 'lists')]),
    line('b', [put(5, 'shared', 'b5'), put(6, 'r3', 'b6')])]);
  applyCheckpoint(db, schema, FULL);
  storeLines(db, [line('a', [put(7, 'shared', 'a7'), remove(8, 'r2')]), line('b', [put(9, 'r3', 'b9')]), line('a', [put(10, 'r1', 'a10')])]);
  applyCheckpoint(db, schema, FULL);
  // Compact lines stored eagerly while another bucket is ahead (COMPACT_SUPERSEDED), then a sliced apply.
  storeLines(db, [compactLine('a', [[11, 'c1', 'c one'], [12, 'shared', 'a12'], [13, 'c2', 'c two']])], schema);
  await applyCheckpointInSlices(db, schema, FULL, { run: async (fn) => fn(), sliceMs: 0 });
  // Staged compact lines and standard ones applied in slices (mergeFirstStaged, shadows, publish).
  storeLines(db, [compactLine('b', [[14, 'c1', 'b14'], [15, 'c3', 'b15']]), line('a', [remove(16, 'c2'), put(17, 'r4', 'a17')])]);
  await applyCheckpointInSlices(db, schema, FULL, { run: async (fn) => fn(), sliceMs: 0 });
  // A fresh bucket stored eagerly (op id ranges in sl_merged), its shadow lost (a crash): recoverMerged.
  storeLines(db, [compactLine('c', [[20, 'c5', 'c20'], [21, 'c6', 'c21']]), compactLine('c', [[22, 'c5', 'c22']])], schema);
  assert.ok(Number(raw.all('SELECT count(*) AS n FROM sl_merged')[0]!['n']) > 0);
  for (const r of raw.all(`SELECT name FROM sqlite_temp_master WHERE type = 'table' AND name LIKE 'sl_shadow%'`)) raw.run(`DROP TABLE temp.${r['name']}`);
  await applyCheckpointInSlices(db, schema, FULL, { run: async (fn) => fn(), sliceMs: 0 });
  assert.deepEqual(state(raw), ['t:c1=b14', 't:c3=b15', 't:c5=c22', 't:c6=c21', 't:r1=a10', 't:r3=b9', 't:r4=a17', 't:shared=a12', 'l:l1=list']);

  if (process.env['SHOW_PLANS']) {
    const seen = new Set<string>();
    for (const p of plans) {
      const k = `${p.sql.replace(/\s+/g, ' ').trim()}\n    ${p.plan.join('\n    ')}`;
      if (!seen.has(k)) console.log(`${seen.add(k) && k}\n`);
    }
  }
  const planOf = (what: string, match: (sql: string) => boolean) => {
    const found = plans.filter((p) => match(p.sql));
    assert.ok(found.length > 0, `the scenario runs ${what}`);
    return found;
  };
  // Nothing a (CLEAR-free) sync runs scans the op store or uses the former index.
  for (const p of plans) {
    for (const d of p.plan) assert.ok(!/^SCAN (sl_oplog|o|x)\b/.test(d) && !d.includes('sl_oplog_row'), `${d} in ${p.sql}`);
  }
  const usesKey = (plan: string[], alias: string, prefix: string) =>
    assert.ok(plan.some((d) => d === `SEARCH ${alias} USING PRIMARY KEY (${prefix})` || d.startsWith(`SEARCH ${alias} USING PRIMARY KEY (${prefix}) `)), `${alias} by (${prefix}): ${plan.join(' / ')}`);
  for (const p of planOf('SUPERSEDED', (s) => s.includes('o.op_id > s.op_id'))) usesKey(p.plan, 'o', 'type=? AND id=?');
  for (const p of planOf('COMPACT_SUPERSEDED', (s) => s.includes('o.op_id > CAST'))) usesKey(p.plan, 'o', 'type=? AND id=?');
  for (const p of planOf('the rederive lookup', (s) => s.includes('max(x.op_id)'))) {
    usesKey(p.plan, 'o', 'type=? AND id=?');
    usesKey(p.plan, 'x', 'type=? AND id=?');
  }
  for (const p of planOf('the REMOVE delete', (s) => s.startsWith('DELETE FROM sl_oplog WHERE bucket = ? AND (type, id) IN'))) {
    usesKey(p.plan, 'sl_oplog', 'type=? AND id=? AND bucket=?');
  }
  for (const p of planOf('recoverMerged', (s) => s.includes('sl_merged_ranges r'))) {
    usesKey(p.plan, 'o', 'type=?');
    usesKey(p.plan, 'r', 'bucket=? AND type=? AND lo<?');
  }
  // Each op store insert (standard and compact) opens one B-tree of sl_oplog for writing: no index to keep.
  const trees = new Set(raw.all(`SELECT rootpage FROM sqlite_schema WHERE tbl_name = 'sl_oplog'`).map((r) => Number(r['rootpage'])));
  const inserts = new Set(planOf('the op store insert', (s) => s.trim().startsWith('INSERT INTO sl_oplog')).map((p) => p.sql));
  assert.equal(inserts.size, 3, 'the standard insert and the compact one from a staged row and from a bound value');
  for (const sql of inserts) {
    const written = raw.all(`EXPLAIN ${sql}`)
      .filter((r) => r['opcode'] === 'OpenWrite' && trees.has(Number(r['p2']))).map((r) => Number(r['p2']));
    assert.equal(new Set(written).size, 1, `B-trees written by ${sql}: ${written}`);
  }
});
