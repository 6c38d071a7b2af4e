/**
 * DDL of the SDK's internal tables (prefix sl_) and of the app tables with their CRUD triggers.
 */
import { q, type Schema } from './schema.js';
import type { SqlDb } from './sql-db.js';
import { STREAM_SUBSCRIPTIONS_DDL } from './stream-subscriptions.js';

/**
 * The op store, keyed by row first: every per-row lookup (is an op superseded, the newest op of a
 * row, a REMOVE's delete) is a primary key prefix search, and no other index is kept, so each
 * stored op writes one B-tree. Statements that select one bucket's rows (a CLEAR, a removed bucket)
 * scan the table; they are rare. Databases made with the former key (bucket, type, id) and its
 * (type, id, op_id) index are rebuilt by createTables (migrateOplogKey).
 */
const oplogDdl = (name: string) => `CREATE TABLE IF NOT EXISTS ${name} (bucket TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL,
     op_id INTEGER NOT NULL, checksum INTEGER NOT NULL, data TEXT, shape INTEGER, PRIMARY KEY (type, id, bucket)) WITHOUT ROWID`;
const OPLOG_DDL = oplogDdl('sl_oplog');

const INTERNAL = [
  // Latest PUT of every row each bucket holds (a REMOVE deletes it): the synced state.
  // data is the row as a JSON object, or (shape set) the JSON array of its values in the order of
  // that sl_shapes row's columns, as compact data lines carry them (docs/sync-api.md).
  OPLOG_DDL,
  // Shapes of compact rows: [table, [column, …]] as JSON, one row each, never changed once written.
  `CREATE TABLE IF NOT EXISTS sl_shapes (id INTEGER PRIMARY KEY, shape TEXT NOT NULL UNIQUE)`,
  // Downloaded data lines not yet merged into sl_oplog, in arrival order: one append per line
  // (no random B-tree writes, so almost nothing to journal), merged by the next apply in its own
  // transaction. Each row is one segment of a line: clear_first marks a CLEAR before it.
  // A segment with a shape holds compact PUTs of that shape only (sync-store.ts, stageCompact).
  `CREATE TABLE IF NOT EXISTS sl_staged (seq INTEGER PRIMARY KEY, bucket TEXT NOT NULL, clear_first INTEGER NOT NULL,
     has_remove INTEGER NOT NULL, ops TEXT NOT NULL, shape INTEGER)`,
  // Op id ranges that a sliced apply merged into sl_oplog without sl_updated rows (their app rows
  // wait in a temp shadow table): re-derived after a crash, emptied by the publish.
  `CREATE TABLE IF NOT EXISTS sl_merged (bucket TEXT NOT NULL, type TEXT, lo INTEGER NOT NULL, hi INTEGER NOT NULL)`,
  // Resume position, running checksum and op count per bucket.
  `CREATE TABLE IF NOT EXISTS sl_buckets (name TEXT PRIMARY KEY, after TEXT NOT NULL, checksum INTEGER NOT NULL,
     count INTEGER NOT NULL) WITHOUT ROWID`,
  // Rows downloads changed since they were last applied to the app tables.
  `CREATE TABLE IF NOT EXISTS sl_updated (bucket TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL,
     PRIMARY KEY (bucket, type, id)) WITHOUT ROWID`,
  // Rows written locally since the last apply: re-derived from the synced state then, so a
  // write the server refused is reverted.
  `CREATE TABLE IF NOT EXISTS sl_touched (type TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (type, id)) WITHOUT ROWID`,
  // The upload queue, grouped by local transaction.
  `CREATE TABLE IF NOT EXISTS sl_crud (op_id INTEGER PRIMARY KEY AUTOINCREMENT, tx_id INTEGER NOT NULL,
     op TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL, data TEXT)`,
  // client_id, the current local transaction id, the "applying sync data" flag and synced_at (when
  // a full checkpoint was last applied: sync-store.ts, syncedState).
  `CREATE TABLE IF NOT EXISTS sl_kv (key TEXT PRIMARY KEY, value) WITHOUT ROWID`,
  `INSERT OR IGNORE INTO sl_kv (key, value) VALUES ('tx', 0), ('applying', 0)`,
  // Sync Streams subscriptions with their TTL (storage/stream-subscriptions.ts).
  STREAM_SUBSCRIPTIONS_DDL,
];

function columnType(t: string): string {
  return t.toUpperCase();
}

function triggers(table: string, columns: string[]): string[] {
  const json = (row: 'NEW' | 'OLD') =>
    `json_object(${columns.map((c) => `'${c}', ${row}.${q(c)}`).join(', ') || ''})`;
  // PUT leaves out NULL columns so PostgreSQL applies its column defaults to what the app did not set.
  const put = `(SELECT json_group_object(key, value) FROM json_each(${json('NEW')}) WHERE type != 'null')`;
  // PATCH carries only the columns the UPDATE changed (value or type), as PowerSync's SDKs send it:
  // two users editing different columns of one row must not overwrite each other's edits.
  const patch = `(SELECT json_group_object(n.key, n.value) FROM json_each(${json('NEW')}) n JOIN json_each(${json('OLD')}) o
       ON o.key = n.key WHERE n.value IS NOT o.value OR n.type IS NOT o.type)`;
  const guard = `WHEN (SELECT value FROM sl_kv WHERE key = 'applying') = 0`;
  const tx = `(SELECT value FROM sl_kv WHERE key = 'tx')`;
  const touch = (row: 'NEW' | 'OLD') => `INSERT OR IGNORE INTO sl_touched (type, id) VALUES ('${table}', ${row}.id);`;
  return [
    `DROP TRIGGER IF EXISTS sl_${table}_insert`,
    `DROP TRIGGER IF EXISTS sl_${table}_update`,
    `DROP TRIGGER IF EXISTS sl_${table}_delete`,
    `CREATE TRIGGER sl_${table}_insert AFTER INSERT ON ${q(table)} ${guard} BEGIN
       INSERT INTO sl_crud (tx_id, op, type, id, data) VALUES (${tx}, 'PUT', '${table}', NEW.id, ${put});
       ${touch('NEW')}
     END`,
    `CREATE TRIGGER sl_${table}_update AFTER UPDATE ON ${q(table)} ${guard} BEGIN
       SELECT RAISE(ABORT, 'changing the id of a synced row is not supported; delete and insert instead')
         WHERE OLD.id IS NOT NEW.id;
       INSERT INTO sl_crud (tx_id, op, type, id, data) VALUES (${tx}, 'PATCH', '${table}', NEW.id, ${patch});
       ${touch('NEW')}
     END`,
    `CREATE TRIGGER sl_${table}_delete AFTER DELETE ON ${q(table)} ${guard} BEGIN
       INSERT INTO sl_crud (tx_id, op, type, id, data) VALUES (${tx}, 'DELETE', '${table}', OLD.id, NULL);
       ${touch('OLD')}
     END`,
  ];
}

/**
 * Runs fn with the CRUD triggers of `tables` dropped, and creates them again after it (inside the
 * caller's transaction, so no one sees the table without them). For bulk writes of synced rows:
 * the 'applying' guard already keeps the triggers from recording anything, but SQLite still
 * evaluates their WHEN clause for every row — about half the cost of copying 100k rows.
 */
export function withoutTriggers<T>(db: SqlDb, schema: Schema, tables: readonly string[], fn: () => T): T {
  for (const table of tables) for (const sql of triggers(table, []).slice(0, 3)) db.run(sql);
  const result = fn();
  for (const table of tables) for (const sql of triggers(table, Object.keys(schema.tables[table]!.columns)).slice(3)) db.run(sql);
  return result;
}

/**
 * Databases created before the op store was keyed by row: sl_oplog had PRIMARY KEY (bucket, type, id)
 * and an index sl_oplog_row (type, id, op_id). Rebuilt once, inside createTables' transaction (a
 * crash keeps the old table or the new one): a new table under a temporary name, every row copied
 * (in the new key's order), the old table dropped (its index with it), the new one renamed.
 */
function migrateOplogKey(db: SqlDb): void {
  const bucketPk = db.all(`SELECT pk FROM pragma_table_info('sl_oplog') WHERE name = 'bucket'`);
  if (bucketPk.length > 0 && Number(bucketPk[0]!['pk']) === 1) {
    const cols = 'bucket, type, id, op_id, checksum, data, shape';
    db.run('DROP TABLE IF EXISTS sl_oplog_rekeyed');
    db.run(oplogDdl('sl_oplog_rekeyed'));
    db.run(`INSERT INTO sl_oplog_rekeyed (${cols}) SELECT ${cols} FROM sl_oplog ORDER BY type, id, bucket`);
    db.run('DROP TABLE sl_oplog');
    db.run('ALTER TABLE sl_oplog_rekeyed RENAME TO sl_oplog');
  }
  db.run('DROP INDEX IF EXISTS sl_oplog_row');
}

/** Creates (idempotently) the internal tables, the app tables and their triggers; returns the client id. */
export function createTables(db: SqlDb, schema: Schema, newClientId: () => string): string {
  db.run('BEGIN IMMEDIATE');
  try {
    for (const sql of INTERNAL) db.run(sql);
    // Databases created before compact rows: the shape columns are new (NULL: a JSON object, as before).
    for (const table of ['sl_oplog', 'sl_staged']) {
      const cols = new Set(db.all(`SELECT name FROM pragma_table_info(?)`, [table]).map((r) => String(r['name'])));
      if (!cols.has('shape')) db.run(`ALTER TABLE ${table} ADD COLUMN shape INTEGER`);
    }
    // After the shape column exists: the rebuild copies it.
    migrateOplogKey(db);
    // Databases from before the synced_at note: one holding buckets counted as synced then (time
    // unknown); checked once, so a first sync interrupted later is not taken for a finished one.
    if (db.all(`SELECT 1 FROM sl_kv WHERE key = 'synced_tracked'`).length === 0) {
      db.run(`INSERT OR IGNORE INTO sl_kv (key, value) SELECT 'synced_at', NULL WHERE EXISTS (SELECT 1 FROM sl_buckets)`);
      db.run(`INSERT INTO sl_kv (key, value) VALUES ('synced_tracked', 1)`);
    }
    for (const [table, def] of Object.entries(schema.tables)) {
      const columns = Object.keys(def.columns);
      const cols = columns.map((c) => `, ${q(c)} ${columnType(def.columns[c]!)}`).join('');
      db.run(`CREATE TABLE IF NOT EXISTS ${q(table)} (id TEXT PRIMARY KEY NOT NULL${cols})`);
      const existing = new Set(db.all(`SELECT name FROM pragma_table_info(?)`, [table]).map((r) => String(r['name'])));
      for (const c of columns) {
        // A column added to the schema later: add it; its synced values appear at the next apply.
        if (!existing.has(c)) db.run(`ALTER TABLE ${q(table)} ADD COLUMN ${q(c)} ${columnType(def.columns[c]!)}`);
      }
      for (const sql of triggers(table, columns)) db.run(sql);
    }
    db.run(`INSERT OR IGNORE INTO sl_kv (key, value) VALUES ('client_id', ?)`, [newClientId()]);
    const id = String(db.all(`SELECT value FROM sl_kv WHERE key = 'client_id'`)[0]!['value']);
    db.run('COMMIT');
    return id;
  } catch (e) {
    db.run('ROLLBACK');
    throw e;
  }
}
