/**
 * Where downloaded ops land: staged as they arrive (bounded memory, one cheap append per data
 * line), merged into the per-bucket op store and applied to the app tables in one transaction at
 * a validated checkpoint. Every merge statement works on a whole line inside SQLite (json_each
 * over its ops) instead of one JS call per row (see the store-throughput figures in
 * docs/benchmarks.md).
 */
import type { Op } from '../protocol/lines.js';
import type { LocalBucket } from '../sync/state.js';
import { q, type Schema } from './schema.js';
import { transaction, type SqlDb } from './sql-db.js';

export function loadBuckets(db: SqlDb): Record<string, LocalBucket> {
  const out: Record<string, LocalBucket> = {};
  for (const r of db.all('SELECT name, after, checksum, count FROM sl_buckets')) {
    out[String(r['name'])] = { after: String(r['after']), checksum: Number(r['checksum']), count: Number(r['count']) };
  }
  return out;
}

function saveBucket(db: SqlDb, name: string, b: LocalBucket): void {
  db.run(
    `INSERT INTO sl_buckets (name, after, checksum, count) VALUES (?, ?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET after = excluded.after, checksum = excluded.checksum, count = excluded.count`,
    [name, b.after, b.checksum, b.count],
  );
}

function clearBucket(db: SqlDb, bucket: string): void {
  db.run(`INSERT OR IGNORE INTO sl_updated (bucket, type, id) SELECT bucket, type, id FROM sl_oplog WHERE bucket = ?`, [bucket]);
  db.run('DELETE FROM sl_oplog WHERE bucket = ?', [bucket]);
}

// A segment's ops travel as one JSON array of [op, op_id, type, id, data, checksum] arrays:
// positional ->> reads were about twice as fast as json_extract on op objects here. They are
// read straight from the staged row (the text crosses into SQLite only once) and parsed once into
// an in-memory temp table that the merge statements read.
const SEGMENT = 'temp.sl_segment';
const PARSE = `INSERT INTO ${SEGMENT} (op, op_id, type, id, data, checksum)
  SELECT value ->> 0, CAST(value ->> 1 AS INTEGER), value ->> 2, value ->> 3, value ->> 4, value ->> 5
  FROM sl_staged s, json_each(s.ops) WHERE s.seq = ?`;
/** A segment op `s` that some bucket holds a newer op of the same row for. */
const SUPERSEDED = `EXISTS (SELECT 1 FROM sl_oplog o WHERE o.type = s.type AND o.id = s.id AND o.op_id > s.op_id)`;

function batchOf(ops: Op[]): string {
  return JSON.stringify(ops.map((o) => [o.op, o.op_id, o.object_type ?? null, o.object_id ?? null, o.data ?? null, o.checksum]));
}

/** Set when the merge runs inside an apply that covers the segment's bucket. */
interface DirectApply {
  schema: Schema;
  /** App tables the merge wrote to. */
  changed: Set<string>;
}

/**
 * Merges one staged segment (PUT and REMOVE ops of one bucket) into sl_oplog. Outside an apply the
 * rows it changed go to sl_updated, for the apply that validates them. Inside an apply covering the
 * bucket, a row whose newest op (over all buckets) is a PUT of this segment — nearly every row of a
 * first download — is written straight into its app table; the others (removed, superseded, or
 * PUT without data) go to the apply's temp.sl_pending and are re-derived after the merge, which
 * also corrects a row written here that a later segment removes.
 */
function mergeSegment(db: SqlDb, bucket: string, seq: number, hasRemove: boolean, direct: DirectApply | null, shadow: Schema | null = null): void {
  db.run(PARSE, [seq]);
  // Order inside the segment does not matter: a PUT only replaces an older op of its row and a
  // REMOVE only deletes a row whose stored op is older than it.
  db.run(
    `INSERT INTO sl_oplog (bucket, type, id, op_id, checksum, data)
     SELECT ?, type, id, op_id, checksum, data FROM ${SEGMENT} WHERE op = 'PUT'
     ON CONFLICT (bucket, type, id) DO UPDATE SET op_id = excluded.op_id, checksum = excluded.checksum,
       data = excluded.data WHERE excluded.op_id > sl_oplog.op_id`,
    [bucket],
  );
  if (hasRemove) {
    // Keyed lookups of the removed rows only (a scan of the bucket per line would be quadratic).
    const removes = `SELECT type, id, op_id FROM ${SEGMENT} WHERE op = 'REMOVE'`;
    db.run(
      `DELETE FROM sl_oplog WHERE bucket = ? AND (type, id) IN (SELECT type, id FROM (${removes}))
         AND op_id < (SELECT max(r.op_id) FROM (${removes}) r WHERE r.type = sl_oplog.type AND r.id = sl_oplog.id)`,
      [bucket],
    );
  }
  if (direct === null) {
    db.run(`INSERT OR IGNORE INTO sl_updated (bucket, type, id) SELECT ?, type, id FROM ${SEGMENT} WHERE op IN ('PUT', 'REMOVE')`, [bucket]);
    if (shadow !== null) shadowSegment(db, shadow);
  } else {
    for (const [table, def] of Object.entries(direct.schema.tables)) {
      const columns = Object.keys(def.columns);
      db.run(
        `INSERT OR REPLACE INTO ${q(table)} (id${columns.map((c) => `, ${q(c)}`).join('')})
         SELECT s.id${columns.map((c) => `, json_extract(s.data, '$.${c}')`).join('')} FROM ${SEGMENT} s
         WHERE s.op = 'PUT' AND s.type = ? AND s.data IS NOT NULL AND NOT ${SUPERSEDED}`,
        [table],
      );
      if (db.changes() > 0) direct.changed.add(table);
    }
    db.run(
      `INSERT OR IGNORE INTO ${PENDING} (type, id) SELECT s.type, s.id FROM ${SEGMENT} s
       WHERE s.op = 'REMOVE' OR (s.op = 'PUT' AND (s.data IS NULL OR ${SUPERSEDED}))`,
    );
  }
  db.run(`DELETE FROM ${SEGMENT}`);
}

/** One data line to store: its bucket, its ops and the bucket's position/checksum after it. */
export interface StoredLine {
  bucket: string;
  ops: Op[];
  local: LocalBucket;
}

/**
 * Ops per staged segment at most: a server line holds about a thousand ops, and a segment is the
 * unit a sliced apply cannot split (see applyCheckpointInSlices), so smaller segments keep each
 * slice — and the wait of a query queued behind it — short.
 */
const SEGMENT_MAX_OPS = 200;

function stageLine(db: SqlDb, { bucket, ops, local }: StoredLine): void {
  const stage = (clearFirst: boolean, segment: Op[]) => {
    if (!clearFirst && segment.length === 0) return;
    db.run('INSERT INTO sl_staged (bucket, clear_first, has_remove, ops) VALUES (?, ?, ?, ?)', [
      bucket, clearFirst ? 1 : 0, segment.some((o) => o.op === 'REMOVE') ? 1 : 0, batchOf(segment),
    ]);
  };
  let clearFirst = false;
  let segment: Op[] = [];
  for (const op of ops) {
    if (op.op === 'CLEAR') {
      stage(clearFirst, segment);
      clearFirst = true;
      segment = [];
    } else if (op.op !== 'MOVE') {
      segment.push(op);
      if (segment.length >= SEGMENT_MAX_OPS) {
        stage(clearFirst, segment);
        clearFirst = false;
        segment = [];
      }
    }
  }
  stage(clearFirst, segment);
  saveBucket(db, bucket, local);
}

/**
 * Stores data lines (their ops and each bucket's new position/checksum) in one transaction. The
 * ops are staged (appended as they came); the next apply merges them (see mergeStaged). A crash
 * keeps all of the lines or none, so a stored position always matches the stored ops.
 */
export function storeLines(db: SqlDb, lines: readonly StoredLine[]): void {
  if (lines.length === 0) return;
  transaction(db, () => {
    for (const line of lines) stageLine(db, line);
  });
}

/** Stores one data line (see storeLines). */
export function storeOps(db: SqlDb, bucket: string, ops: Op[], local: LocalBucket): void {
  storeLines(db, [{ bucket, ops, local }]);
}

const PENDING = 'temp.sl_pending';

/**
 * Merges every staged segment into the op store, in arrival order (then clearStaged). Runs
 * inside the caller's transaction. Merging early never changes what an apply later shows: staged
 * ops are stored ops, only in another table. With `direct` (inside an apply, its pending table
 * created and the 'applying' flag set), segments of the buckets it covers are applied as they
 * merge (see mergeSegment).
 */
export function mergeStaged(db: SqlDb, direct: (DirectApply & { buckets: ReadonlySet<string> | 'all' }) | null = null): void {
  db.run(`CREATE TEMP TABLE IF NOT EXISTS sl_segment (op TEXT, op_id INTEGER, type TEXT, id TEXT, data TEXT, checksum INTEGER)`);
  for (const r of db.all('SELECT seq, bucket, clear_first, has_remove FROM sl_staged ORDER BY seq')) {
    const bucket = String(r['bucket']);
    if (Number(r['clear_first']) === 1) clearBucket(db, bucket);
    const covered = direct !== null && (direct.buckets === 'all' || direct.buckets.has(bucket));
    mergeSegment(db, bucket, Number(r['seq']), Number(r['has_remove']) === 1, covered ? direct : null);
  }
}

/**
 * Empties the stage once merged. The apply does it last, so the rows it writes take new pages at
 * the end of the file (nothing to journal) instead of reusing the stage's pages, each of which
 * would be journaled first; the freed pages serve the next download's stage.
 */
export function clearStaged(db: SqlDb): void {
  db.run('DELETE FROM sl_staged');
}

/** Forgets buckets (removed from the checkpoint or failed their checksum); their rows are re-derived at the next apply. */
export function removeBuckets(db: SqlDb, buckets: string[]): void {
  transaction(db, () => {
    for (const b of buckets) {
      db.run('DELETE FROM sl_staged WHERE bucket = ?', [b]);
      clearBucket(db, b);
      db.run('DELETE FROM sl_buckets WHERE name = ?', [b]);
    }
  });
}

export interface ApplyRequest {
  buckets: string[];
  priority: number | null;
  applyRows: boolean;
  positions: Record<string, LocalBucket> | null;
}

/**
 * Applies a validated checkpoint: saves positions and, when allowed, re-derives every row that
 * downloads changed (or the app touched) from the synced state, in one transaction. Returns the
 * app tables that changed.
 */
export function applyCheckpoint(db: SqlDb, schema: Schema, req: ApplyRequest): string[] {
  return transaction(db, () => {
    if (req.positions !== null) {
      for (const [name, b] of Object.entries(req.positions)) saveBucket(db, name, b);
    }
    if (!req.applyRows) {
      mergeStaged(db);
      clearStaged(db);
      return [];
    }
    const full = req.priority === null;
    const scope = full ? '' : `WHERE bucket IN (SELECT value FROM json_each(?))`;
    const scopeBind = full ? [] : [JSON.stringify(req.buckets)];
    db.run(`CREATE TEMP TABLE IF NOT EXISTS sl_pending (type TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (type, id)) WITHOUT ROWID`);
    db.run('DELETE FROM temp.sl_pending');
    db.run(`UPDATE sl_kv SET value = 1 WHERE key = 'applying'`);
    const written = new Set<string>();
    mergeStaged(db, { schema, changed: written, buckets: full ? 'all' : new Set(req.buckets) });
    db.run(`INSERT OR IGNORE INTO temp.sl_pending SELECT type, id FROM sl_updated ${scope}`, scopeBind);
    if (full) db.run('INSERT OR IGNORE INTO temp.sl_pending SELECT type, id FROM sl_touched');
    const rederived = new Set(rederivePending(db, schema));
    const changed = Object.keys(schema.tables).filter((t) => rederived.has(t) || written.has(t));
    db.run(`UPDATE sl_kv SET value = 0 WHERE key = 'applying'`);
    db.run(`DELETE FROM sl_updated ${scope}`, scopeBind);
    if (full) db.run('DELETE FROM sl_touched');
    db.run('DELETE FROM temp.sl_pending');
    clearStaged(db);
    return changed;
  });
}

/** Re-derives every row of temp.sl_pending from sl_oplog into its app table; returns the tables it wrote. */
function rederivePending(db: SqlDb, schema: Schema): string[] {
  const changed: string[] = [];
  for (const [table, def] of Object.entries(schema.tables)) {
    const n = Number(db.all(`SELECT count(*) AS n FROM temp.sl_pending WHERE type = ?`, [table])[0]!['n']);
    if (n === 0) continue;
    changed.push(table);
    const columns = Object.keys(def.columns);
    const latest = `SELECT p.id AS id, (SELECT o.data FROM sl_oplog o WHERE o.type = p.type AND o.id = p.id
        ORDER BY o.op_id DESC LIMIT 1) AS data FROM temp.sl_pending p WHERE p.type = ?`;
    db.run(`DELETE FROM ${q(table)} WHERE id IN (SELECT id FROM (${latest}) WHERE data IS NULL)`, [table]);
    const extract = columns.map((c) => `, json_extract(data, '$.${c}')`).join('');
    db.run(
      `INSERT OR REPLACE INTO ${q(table)} (id${columns.map((c) => `, ${q(c)}`).join('')})
       SELECT id${extract} FROM (${latest}) WHERE data IS NOT NULL`,
      [table],
    );
  }
  return changed;
}

// --- Applying a full checkpoint in slices ------------------------------------------------------
//
// A large first sync used to merge and apply everything in one transaction (seconds for 100k
// rows), and every query waited for it. A full checkpoint is now applied in two phases:
//  1. Slices, each its own short transaction: staged segments are merged into sl_oplog the way a
//     merge outside an apply always was (the changed rows go to sl_updated, nothing visible moves),
//     and the app row each merged PUT yields is computed into a temp "shadow" table per app table
//     (temp.sl_shadow_<table>: the app table's columns, already extracted from the JSON). Between
//     slices the worker returns to its event loop, so queued queries run — against the previous
//     checkpoint's app tables, which no slice touches.
//  2. Publish, one transaction: the shadow rows are copied into the app tables (a plain b-tree
//     copy, no JSON, no op-store lookups), then the few rows the shadow does not cover (removed,
//     superseded by another bucket, written locally) are re-derived from sl_oplog as before.
// Readers therefore see the old checkpoint or the new one, never part of one. The shadow tables are
// temp (memory, this connection): a crash between slices loses them, but everything they held is
// also in sl_updated, so the next apply re-derives those rows the slow way — the same state.

/** Shadow table of an app table: the rows phase 1 computed, waiting to be published. */
function shadowTable(table: string): string {
  return `temp.${q(`sl_shadow_${table}`)}`;
}

function createShadows(db: SqlDb, schema: Schema): void {
  for (const [table, def] of Object.entries(schema.tables)) {
    db.run(`DROP TABLE IF EXISTS ${shadowTable(table)}`);
    const cols = Object.keys(def.columns).map((c) => `, ${q(c)}`).join('');
    db.run(`CREATE TEMP TABLE ${q(`sl_shadow_${table}`)} (id TEXT PRIMARY KEY NOT NULL${cols})`);
  }
}

function dropShadows(db: SqlDb, schema: Schema): void {
  for (const table of Object.keys(schema.tables)) db.run(`DROP TABLE IF EXISTS ${shadowTable(table)}`);
}

/**
 * Phase 1 for one merged segment (already in sl_oplog and sl_updated): the rows whose newest op is a
 * PUT of this segment get their app row in the shadow; any other row of the segment (removed,
 * superseded, PUT without data) leaves the shadow, so the publish re-derives it from sl_oplog.
 */
function shadowSegment(db: SqlDb, schema: Schema): void {
  for (const [table, def] of Object.entries(schema.tables)) {
    const columns = Object.keys(def.columns);
    db.run(
      `INSERT OR REPLACE INTO ${shadowTable(table)} (id${columns.map((c) => `, ${q(c)}`).join('')})
       SELECT s.id${columns.map((c) => `, json_extract(s.data, '$.${c}')`).join('')} FROM ${SEGMENT} s
       WHERE s.op = 'PUT' AND s.type = ? AND s.data IS NOT NULL AND NOT ${SUPERSEDED}`,
      [table],
    );
    db.run(
      `DELETE FROM ${shadowTable(table)} WHERE id IN (SELECT s.id FROM ${SEGMENT} s WHERE s.type = ?
         AND (s.op = 'REMOVE' OR (s.op = 'PUT' AND (s.data IS NULL OR ${SUPERSEDED}))))`,
      [table],
    );
  }
}

/** The id of the newest local write (sl_crud's AUTOINCREMENT counter), 0 before any. */
function lastLocalWrite(db: SqlDb): number {
  const r = db.all(`SELECT seq FROM sqlite_sequence WHERE name = 'sl_crud'`);
  return r.length === 0 ? 0 : Number(r[0]!['seq']);
}

/**
 * Phase 1, one slice: merges staged segments in arrival order, in one transaction, until `budgetMs`
 * has passed (at least one segment). Returns whether staged segments remain.
 */
function mergeSlice(db: SqlDb, schema: Schema, budgetMs: number): boolean {
  return transaction(db, () => {
    db.run(`CREATE TEMP TABLE IF NOT EXISTS sl_segment (op TEXT, op_id INTEGER, type TEXT, id TEXT, data TEXT, checksum INTEGER)`);
    const started = Date.now();
    for (;;) {
      const rows = db.all('SELECT seq, bucket, clear_first, has_remove FROM sl_staged ORDER BY seq LIMIT 1');
      if (rows.length === 0) return false;
      const r = rows[0]!;
      const bucket = String(r['bucket']);
      const seq = Number(r['seq']);
      if (Number(r['clear_first']) === 1) {
        // Rows the CLEAR drops leave the shadow too (they are in sl_updated, re-derived at publish).
        for (const table of Object.keys(schema.tables)) {
          db.run(`DELETE FROM ${shadowTable(table)} WHERE id IN (SELECT id FROM sl_oplog WHERE bucket = ? AND type = ?)`, [bucket, table]);
        }
        clearBucket(db, bucket);
      }
      mergeSegment(db, bucket, seq, Number(r['has_remove']) === 1, null, schema);
      db.run('DELETE FROM sl_staged WHERE seq = ?', [seq]);
      if (Date.now() - started >= budgetMs) return true;
    }
  });
}

/** Phase 2: publishes the shadow and re-derives the rest, in one transaction (see applyCheckpoint). */
function publish(db: SqlDb, schema: Schema, req: ApplyRequest, localWriteAtStart: number): string[] {
  return transaction(db, () => {
    if (req.positions !== null) {
      for (const [name, b] of Object.entries(req.positions)) saveBucket(db, name, b);
    }
    mergeStaged(db); // lines staged after the last slice (none in the engine: it stores nothing meanwhile)
    clearStaged(db);
    if (lastLocalWrite(db) !== localWriteAtStart) {
      // The app wrote locally between slices: its write must stay visible until uploaded, so this
      // apply only saves positions (as with applyRows false); the rows stay in sl_updated for the
      // next apply the machine allows.
      return [];
    }
    db.run(`CREATE TEMP TABLE IF NOT EXISTS sl_pending (type TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (type, id)) WITHOUT ROWID`);
    db.run('DELETE FROM temp.sl_pending');
    db.run(`UPDATE sl_kv SET value = 1 WHERE key = 'applying'`);
    const changed: string[] = [];
    const shadowed = Object.keys(schema.tables).map((t) => `(u.type = '${t.replaceAll("'", "''")}' AND u.id IN (SELECT id FROM ${shadowTable(t)}))`);
    for (const [table, def] of Object.entries(schema.tables)) {
      const cols = ['id', ...Object.keys(def.columns)].map((c) => q(c)).join(', ');
      db.run(`INSERT OR REPLACE INTO ${q(table)} (${cols}) SELECT ${cols} FROM ${shadowTable(table)}`);
      if (db.changes() > 0) changed.push(table);
    }
    db.run(
      `INSERT OR IGNORE INTO temp.sl_pending SELECT u.type, u.id FROM sl_updated u
       ${shadowed.length > 0 ? `WHERE NOT (${shadowed.join(' OR ')})` : ''}`,
    );
    db.run('INSERT OR IGNORE INTO temp.sl_pending SELECT type, id FROM sl_touched');
    for (const table of rederivePending(db, schema)) if (!changed.includes(table)) changed.push(table);
    db.run(`UPDATE sl_kv SET value = 0 WHERE key = 'applying'`);
    db.run('DELETE FROM sl_updated');
    db.run('DELETE FROM sl_touched');
    db.run('DELETE FROM temp.sl_pending');
    return changed;
  });
}

/** Options of applyCheckpointInSlices. */
export interface Slicing {
  /** Runs one step with the database to itself (the worker's lock) after yielding to queued work. */
  run<T>(fn: () => T): Promise<T>;
  /** Time budget of one slice in ms. */
  sliceMs: number;
}

/**
 * applyCheckpoint for the worker: a full checkpoint with rows to apply is merged in slices and
 * published in one short transaction (see above); anything else is one transaction as before.
 */
export async function applyCheckpointInSlices(db: SqlDb, schema: Schema, req: ApplyRequest, slicing: Slicing): Promise<string[]> {
  if (!req.applyRows || req.priority !== null) return slicing.run(() => applyCheckpoint(db, schema, req));
  const localWriteAtStart = await slicing.run(() => {
    createShadows(db, schema);
    return lastLocalWrite(db);
  });
  try {
    while (await slicing.run(() => mergeSlice(db, schema, slicing.sliceMs)));
    return await slicing.run(() => publish(db, schema, req, localWriteAtStart));
  } finally {
    await slicing.run(() => dropShadows(db, schema));
  }
}
