// Downloaded-rows throughput of the storage code on SQLite WASM (node build, in memory): 100k
// PUT ops stored in data lines of 1,000 and applied at one checkpoint, against the same store done
// with one JS call per row and statement, in the same run. Since P4's staging, "store" only appends
// each line to sl_staged; the merge into the op store (one json_each parse per line) and the app
// table writes are in "apply". In memory there are no OPFS calls, which were most of the browser's
// cost (docs/benchmarks.md, P4).
// Usage: npx esbuild --bundle --platform=node --format=esm --external:@sqlite.org/sqlite-wasm \
//          bench/apply-throughput.ts --outfile=dist-test/apply-throughput.mjs && node dist-test/apply-throughput.mjs
import type { Op } from '../src/protocol/lines.js';
import { createTables } from '../src/storage/internal-tables.js';
import { Schema } from '../src/storage/schema.js';
import { transaction } from '../src/storage/sql-db.js';
import { applyCheckpoint, storeOps } from '../src/storage/sync-store.js';
import { memoryDb } from '../test/sqlite.js';

const ROWS = Number(process.argv[2] ?? 100_000);
const LINE = 1000;
const schema = new Schema({ todos: { columns: { list_id: 'text', description: 'text', completed: 'integer' } } });
const row = (i: number) => ({ id: `t${i}`, list_id: `l${i % 100}`, description: `todo number ${i} with some text`, completed: i % 2 });

const db = await memoryDb();
createTables(db, schema, () => 'bench');
let t0 = performance.now();
let checksum = 0;
for (let start = 0; start < ROWS; start += LINE) {
  const ops: Op[] = [];
  for (let i = start; i < Math.min(ROWS, start + LINE); i++) {
    ops.push({ op_id: String(i + 1), op: 'PUT', object_type: 'todos', object_id: `t${i}`, data: JSON.stringify(row(i)), checksum: i });
    checksum = (checksum + i) >>> 0;
  }
  storeOps(db, 'b', ops, { after: String(Math.min(ROWS, start + LINE)), checksum, count: Math.min(ROWS, start + LINE) });
}
const stored = performance.now() - t0;
t0 = performance.now();
applyCheckpoint(db, schema, { buckets: ['b'], priority: null, applyRows: true, positions: null });
const applied = performance.now() - t0;
const n = Number(db.all('SELECT count(*) AS n FROM todos')[0]!['n']);
if (n !== ROWS) throw new Error(`expected ${ROWS} rows, found ${n}`);

// The same work (op store, changed-rows set, then the same apply) with one JS call per row and statement.
const perRow = await memoryDb();
createTables(perRow, schema, () => 'bench');
t0 = performance.now();
for (let start = 0; start < ROWS; start += LINE) {
  transaction(perRow, () => {
    for (let i = start; i < Math.min(ROWS, start + LINE); i++) {
      perRow.all(`INSERT INTO sl_oplog (bucket, type, id, op_id, checksum, data) VALUES ('b', 'todos', ?, ?, ?, ?)
        ON CONFLICT (bucket, type, id) DO UPDATE SET op_id = excluded.op_id, checksum = excluded.checksum, data = excluded.data`,
        [`t${i}`, i + 1, i, JSON.stringify(row(i))]);
      perRow.all(`INSERT OR IGNORE INTO sl_updated (bucket, type, id) VALUES ('b', 'todos', ?)`, [`t${i}`]);
    }
  });
}
applyCheckpoint(perRow, schema, { buckets: ['b'], priority: null, applyRows: true, positions: null });
const perRowMs = performance.now() - t0;
const rate = (ms: number) => Math.round(ROWS / (ms / 1000)).toLocaleString('en');
console.log(`bulk: store ${stored.toFixed(0)} ms + apply ${applied.toFixed(0)} ms = ${rate(stored + applied)} rows/s (${ROWS} rows, op store + app table)`);
console.log(`per-row: the same store with one JS call per row and statement (cached statements), same apply: ${perRowMs.toFixed(0)} ms = ${rate(perRowMs)} rows/s`);
