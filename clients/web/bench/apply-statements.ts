// Which SQL statements (CPU ms) a 100k-row first sync spends its SQLite time in (P4 profile, issue 17): the
// SDK's own storage code (storeLines in batches of 10 lines, as the worker stores them, then
// applyCheckpoint) on SQLite WASM in node, in memory, with the P4 rows the server sends (ids
// b1…bN, an 80-character description). Every db.run/db.all is timed and grouped by statement.
// In memory there is no OPFS and no worker, so this splits the SQL CPU cost, not the browser's
// wall time (bench/cpu-profile-summary.mjs does that).
// Usage: npx esbuild --bundle --platform=node --format=esm --external:@sqlite.org/sqlite-wasm \
//          bench/apply-statements.ts --outfile=dist-test/apply-statements.mjs && node dist-test/apply-statements.mjs [rows] [--compact] [--sliced]
// --compact: the lines as compact rows (docs/sync-api.md); --sliced: the worker's sliced apply
// (applyCheckpointInSlices) instead of the one-transaction apply; --eager: stores merge as they go
// (the worker's eager stores: storeLines with the schema; with --compact --sliced, as the worker does).
import type { CompactOp, Op } from '../src/protocol/lines.js';
import { createTables } from '../src/storage/internal-tables.js';
import { Schema } from '../src/storage/schema.js';
import type { SqlDb } from '../src/storage/sql-db.js';
import { applyCheckpoint, applyCheckpointInSlices, storeLines, type StoredLine } from '../src/storage/sync-store.js';
import { memoryDb } from '../test/sqlite.js';
import { COMPACT_STORE_BATCH_OPS, STORE_BATCH_OPS } from '../src/worker/sync-engine.js';

const ROWS = Number(process.argv[2] ?? 100_000);
const COMPACT = process.argv.includes('--compact');
const SLICED = process.argv.includes('--sliced');
const EAGER = process.argv.includes('--eager');
const LINE = 1000;
const BATCH_LINES = COMPACT ? COMPACT_STORE_BATCH_OPS / LINE : STORE_BATCH_OPS / LINE; // as the worker stores them
const schema = new Schema({
  lists: { columns: { name: 'text', owner_id: 'text' } },
  todos: { columns: { list_id: 'text', description: 'text', done: 'integer', n: 'integer' } },
});

const stats = new Map<string, { n: number; ms: number }>();
let phase = 'store';
function timed(db: SqlDb): SqlDb {
  const key = (sql: string) => `${phase}: ${sql.replace(/\s+/g, ' ').trim().slice(0, 110)}`;
  const time = <T>(sql: string, f: () => T): T => {
    // CPU time of this thread, not wall time: robust to other processes' load on a shared machine.
    const t0 = process.cpuUsage();
    try {
      return f();
    } finally {
      const s = stats.get(key(sql)) ?? { n: 0, ms: 0 };
      const d = process.cpuUsage(t0);
      s.n++;
      s.ms += (d.user + d.system) / 1000;
      stats.set(key(sql), s);
    }
  };
  return {
    run: (sql, bind) => time(sql, () => db.run(sql, bind)),
    all: (sql, bind) => time(sql, () => db.all(sql, bind)),
    changes: () => db.changes(),
  };
}

const raw = await memoryDb();
// The worker's page size (open-database.ts): B-tree costs depend on it.
raw.run('PRAGMA page_size = 65536');
createTables(raw, schema, () => 'bench');
const db = timed(raw);
let checksum = 0;
let batch: StoredLine[] = [];
const t0 = performance.now();
const cpu0 = process.cpuUsage();
let jsMs = 0;
for (let start = 0; start < ROWS; start += LINE) {
  const j0 = performance.now();
  const ops: Op[] = [];
  for (let g = start + 1; g <= Math.min(ROWS, start + LINE); g++) {
    const row = { id: `b${g}`, list_id: 'l1', description: `todo number ${g}`.padEnd(80, '.'), done: g % 2 === 0 ? 1 : 0, n: g };
    ops.push({ op_id: String(g), op: 'PUT', object_type: 'todos', object_id: row.id, data: JSON.stringify(row), checksum: g });
    checksum = (checksum + g) >>> 0;
  }
  const end = Math.min(ROWS, start + LINE);
  const compact = COMPACT
    ? { shapes: [['todos', ['id', 'list_id', 'description', 'done', 'n']]] as [string, string[]][],
        ops: ops.map((o): CompactOp => [Number(o.op_id), o.checksum, 0, o.object_id!, Object.values(JSON.parse(o.data!)), 0]) }
    : null;
  jsMs += performance.now() - j0;
  batch.push({ bucket: 'user_lists["l1"]', ops: COMPACT ? [] : ops, compact, local: { after: String(end), checksum, count: end } });
  if (batch.length === BATCH_LINES || end === ROWS) {
    storeLines(db, batch, EAGER ? schema : null);
    batch = [];
  }
}
const stored = performance.now() - t0 - jsMs;
phase = 'apply';
const a0 = performance.now();
const request = { buckets: ['user_lists["l1"]'], priority: null, applyRows: true, positions: null };
if (SLICED) await applyCheckpointInSlices(db, schema, request, { run: async (fn) => fn(), sliceMs: 40 });
else applyCheckpoint(db, schema, request);
const applied = performance.now() - a0;
const cpu = process.cpuUsage(cpu0);
const n = Number(raw.all('SELECT count(*) AS n FROM todos')[0]!['n']);
if (n !== ROWS) throw new Error(`expected ${ROWS} rows, found ${n}`);

console.log(`${ROWS} rows${COMPACT ? ', compact' : ''}${SLICED ? ', sliced' : ''}${EAGER ? ', eager' : ''}: store ${stored.toFixed(0)} ms, apply ${applied.toFixed(0)} ms (in memory, node); CPU of it all (JS row generation included) ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms`);
const pages = (t: string) => Number(raw.all(`SELECT count(*) AS n FROM dbstat WHERE name = ?`, [t])[0]!['n']);
console.log(`pages (64 KiB): todos ${pages('todos')}, its id index ${pages('sqlite_autoindex_todos_1')}, sl_oplog ${pages('sl_oplog')}`);
console.log('| phase: statement | calls | ms | share |\n|---|---|---|---|');
const total = [...stats.values()].reduce((n, s) => n + s.ms, 0);
console.log(`SQL statements: ${total.toFixed(0)} ms CPU`);
for (const [k, s] of [...stats.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 14)) {
  console.log(`| ${k.replace(/\|/g, '\\|')} | ${s.n} | ${s.ms.toFixed(0)} | ${((100 * s.ms) / total).toFixed(0)} % |`);
}
