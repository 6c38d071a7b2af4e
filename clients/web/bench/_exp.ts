import { memoryDb } from '../test/sqlite.js';
const ROWS = 100_000, LINE = 1000;
const row = (i: number) => ({ id: `00000000-0000-4000-8000-${String(i).padStart(12,'0')}`, list_id: 'l1', description: `todo ${i} `.padEnd(80,'x'), done: i % 2, n: i });
async function run(name: string, ddl: string[], stmts: (b: string) => [string, unknown[]][]) {
  const db = await memoryDb();
  for (const d of ddl) db.run(d);
  const per: number[] = stmts('[]').map(() => 0);
  let ser = 0;
  for (let s = 0; s < ROWS; s += LINE) {
    let t = performance.now();
    const arr = [];
    for (let i = s; i < s + LINE; i++) { const r = row(i); arr.push(['PUT', i + 1, 'todos', r.id, JSON.stringify(r), i]); }
    const batch = JSON.stringify(arr);
    ser += performance.now() - t;
    db.run('BEGIN');
    stmts(batch).forEach(([sql, bind], k) => { const t = performance.now(); db.run(sql, bind); per[k] += performance.now() - t; });
    db.run('COMMIT');
  }
  console.log(name, 'ser', ser.toFixed(0), 'stmts', per.map((x) => x.toFixed(0)).join(' '));
}
const OPS = `SELECT value ->> 0 AS op, CAST(value ->> 1 AS INTEGER) AS op_id, value ->> 2 AS type, value ->> 3 AS id, value ->> 4 AS data, value ->> 5 AS checksum FROM json_each(?)`;
const oplog = `CREATE TABLE sl_oplog (bucket TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL, op_id INTEGER NOT NULL, checksum INTEGER NOT NULL, data TEXT, PRIMARY KEY (bucket, type, id)) WITHOUT ROWID`;
const idx = `CREATE INDEX sl_oplog_row ON sl_oplog (type, id, op_id)`;
const upd = `CREATE TABLE sl_updated (bucket TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (bucket, type, id)) WITHOUT ROWID`;
const ins = `INSERT INTO sl_oplog (bucket, type, id, op_id, checksum, data) SELECT ?, type, id, op_id, checksum, data FROM (${OPS}) WHERE op = 'PUT' ON CONFLICT (bucket, type, id) DO UPDATE SET op_id = excluded.op_id, checksum = excluded.checksum, data = excluded.data WHERE excluded.op_id > sl_oplog.op_id`;
const insU = `INSERT OR IGNORE INTO sl_updated (bucket, type, id) SELECT ?, type, id FROM (${OPS}) WHERE op IN ('PUT', 'REMOVE')`;
await run('current', [oplog, idx, upd], (b) => [[ins, ['b', b]], [insU, ['b', b]]]);
await run('noidx', [oplog, upd], (b) => [[ins, ['b', b]], [insU, ['b', b]]]);
await run('json_each only', [], (b) => [[`SELECT count(*) FROM (${OPS})`, [b]]]);
await run('json_each bare', [], (b) => [[`SELECT count(*) FROM json_each(?)`, [b]]]);
await run('json_each data', [], (b) => [[`SELECT sum(length(value ->> 4)) FROM json_each(?)`, [b]]]);
await run('json_each data via fullkey', [], (b) => [[`SELECT sum(length(json_extract(?1, '$[' || key || '][4]'))) FROM json_each(?1)`, [b]]]);
