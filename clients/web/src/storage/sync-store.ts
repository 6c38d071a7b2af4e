/**
 * Where downloaded ops land: staged as they arrive (bounded memory, one cheap append per data
 * line), merged into the per-bucket op store and applied to the app tables in one transaction at
 * a validated checkpoint. Every merge statement works on a whole line inside SQLite (json_each
 * over its ops) instead of one JS call per row (see the store-throughput figures in
 * docs/benchmarks.md).
 */
import type { CompactOps, Op } from '../protocol/lines.js';
import { asPrepared, groupChunks, type CompactPart, type PreparedCompact } from './compact-runs.js';
import type { LocalBucket } from '../sync/state.js';
import { withoutTriggers } from './internal-tables.js';
import { q, type Schema } from './schema.js';
import { transaction, transactionAsync, type SqlDb } from './sql-db.js';

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

/** Whether a full checkpoint was ever applied to the app tables, and when (ms since epoch; null if unknown). */
export interface Synced {
  synced: boolean;
  at: number | null;
}

/**
 * The status's hasSynced and lastSyncedAt: noted in the transaction that applies a full
 * checkpoint's rows (markSynced), so they never claim rows a reader cannot see yet — not while a
 * first sync's lines are stored, nor between its checkpoint_complete and the publish.
 */
export function syncedState(db: SqlDb): Synced {
  const r = db.all(`SELECT value FROM sl_kv WHERE key = 'synced_at'`);
  if (r.length === 0) return { synced: false, at: null };
  const at = r[0]!['value'];
  return { synced: true, at: at === null || at === undefined ? null : Number(at) };
}

function markSynced(db: SqlDb): void {
  db.run(`INSERT INTO sl_kv (key, value) VALUES ('synced_at', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [Date.now()]);
}

/** Drops a bucket's rows (a CLEAR, a removed bucket): one scan of the op store, which has no bucket index. */
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
     ON CONFLICT (type, id, bucket) DO UPDATE SET op_id = excluded.op_id, checksum = excluded.checksum,
       data = excluded.data, shape = NULL WHERE excluded.op_id > sl_oplog.op_id`,
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

// A compact segment is read straight from its staged row (?3 its seq), or, merged as it is stored
// (eager stores), from a JSONB value bound as ?3; ?1 bucket, ?2 table, ?4 shape id. Each op is the
// wire's [op_id, checksum, kind, object_id, values, …] (all PUTs with values), as JSONB: SQLite
// parses the text once, and every read after that walks the binary form (about half the cost of
// reading text JSON, measured in docs/benchmarks.md).
const STAGED_OPS = `FROM sl_staged s, jsonb_each(s.ops) WHERE s.seq = ?3`;
/**
 * A chunk of an eager store (stageCompact): its JSONB, made inside SQLite from the prepared bytes,
 * waits in a one-row temp table for the merge statements, instead of coming back to JS as a blob
 * and being bound again to each of them (two copies of every chunk's bytes through the JS heap,
 * whose external memory drove the worker's garbage collections).
 */
const CHUNK_TABLE = 'temp.sl_chunk';
const BOUND_OPS = `FROM ${CHUNK_TABLE} c, jsonb_each(c.j) WHERE ?3 IS NULL`;
const COMPACT_OP_ID = `CAST(value ->> 0 AS INTEGER)`;
const COMPACT_SUPERSEDED = `EXISTS (SELECT 1 FROM sl_oplog o WHERE o.type = ?2 AND o.id = value ->> 3 AND o.op_id > ${COMPACT_OP_ID})`;

/**
 * Where a compact segment's ops are: a staged row, or a JSONB value with its op id range and the
 * newest position any other bucket holds (`other`, read once per line by the caller).
 */
type CompactSource = { seq: number }
  | { chunk: true; lo: number | bigint; hi: number | bigint; other: number | bigint | null; shape: [string | null, string[]] };

/** App columns from a compact op's values: the value at the column's place in the shape, NULL where it has none. */
function compactColumns(columns: string[], shapeColumns: string[]): string {
  return columns.map((c) => {
    const k = shapeColumns.indexOf(c);
    return k < 0 ? ', NULL' : `, value ->> '$[4][${k}]'`;
  }).join('');
}

/**
 * mergeSegment for a compact segment (PUTs of one shape): the op store keeps the values array as
 * the row (with its shape), and app or shadow rows take their columns by position; no temp table
 * and no JSON object per row. Same outcomes as mergeSegment.
 */
function mergeCompactSegment(db: SqlDb, bucket: string, source: CompactSource, shape: number, direct: DirectApply | null, shadow: Schema | null = null): void {
  for (const _ of mergeCompactSteps(db, bucket, source, shape, direct, shadow));
}

/**
 * mergeCompactSegment in two steps: it yields after the op store insert, so that a pausing store
 * lets queued queries run between it and the app/shadow rows (each about half of a run's work).
 */
function* mergeCompactSteps(db: SqlDb, bucket: string, source: CompactSource, shape: number, direct: DirectApply | null, shadow: Schema | null): Generator<void, void, void> {
  const [table, shapeColumns] = 'shape' in source ? source.shape
    : JSON.parse(String(db.all('SELECT shape FROM sl_shapes WHERE id = ?', [shape])[0]!['shape'])) as [string | null, string[]];
  const staged = 'seq' in source;
  const COMPACT_OPS = staged ? STAGED_OPS : BOUND_OPS;
  const bind = [bucket, table, staged ? source.seq : null, shape];
  // The segment's op id range (for sl_merged), and the newest position any other bucket holds: op
  // ids are global and a bucket's ops arrive in op id order, so only another bucket can hold a
  // newer op of a row, and none does when every other bucket's position is below the segment's
  // oldest op — as in a first sync. Only otherwise a per-op pass looks for superseded ops (a key
  // probe per op, about a fifth of a first sync's SQLite time when it always ran).
  const scan = staged
    ? db.all(`SELECT min(${COMPACT_OP_ID}) AS lo, max(${COMPACT_OP_ID}) AS hi,
        (SELECT max(CAST(after AS INTEGER)) FROM sl_buckets WHERE name != ?1) AS other
        ${COMPACT_OPS} AND ?2 IS NOT NULL AND ?4 IS NOT NULL`, bind)[0]!
    : { lo: source.lo, hi: source.hi, other: source.other };
  const superseded = scan['other'] !== null && scan['lo'] !== null && BigInt(scan['other'] as number | bigint) >= BigInt(scan['lo'] as number | bigint)
    && Number(db.all(`SELECT max(${COMPACT_SUPERSEDED}) AS superseded ${COMPACT_OPS} AND ?1 IS NOT NULL AND ?4 IS NOT NULL`, bind)[0]!['superseded']) === 1;
  db.run(
    `INSERT INTO sl_oplog (bucket, type, id, op_id, checksum, data, shape)
     SELECT ?1, ?2, value ->> 3, ${COMPACT_OP_ID}, value ->> 1, jsonb_extract(value, '$[4]'), ?4 ${COMPACT_OPS}
     ON CONFLICT (type, id, bucket) DO UPDATE SET op_id = excluded.op_id, checksum = excluded.checksum,
       data = excluded.data, shape = excluded.shape WHERE excluded.op_id > sl_oplog.op_id`,
    bind,
  );
  yield;
  const def = table === null ? undefined : (direct?.schema ?? shadow)?.tables[table];
  const newest = superseded ? ` AND NOT ${COMPACT_SUPERSEDED}` : '';
  if (direct === null) {
    if (shadow !== null && !superseded) {
      // Phase 1 of a sliced apply, nothing superseded: every row goes to the shadow, and instead of
      // a sl_updated row per op the segment's op id range is noted (recoverMerged re-derives it
      // after a crash, when the shadow is lost).
      if (scan['lo'] !== null) db.run('INSERT INTO sl_merged (bucket, type, lo, hi) VALUES (?, ?, ?, ?)', [bucket, table, scan['lo'], scan['hi']]);
    } else {
      db.run(`INSERT OR IGNORE INTO sl_updated (bucket, type, id) SELECT ?1, ?2, value ->> 3 ${COMPACT_OPS} AND ?4 IS NOT NULL`, bind);
    }
    if (shadow !== null && def !== undefined) {
      const columns = Object.keys(def.columns);
      const target = shadowTable(table!);
      db.run(
        `INSERT OR REPLACE INTO ${target} (id${columns.map((c) => `, ${q(c)}`).join('')})
         SELECT value ->> 3${compactColumns(columns, shapeColumns)} ${COMPACT_OPS} AND ?1 IS NOT NULL AND ?2 IS NOT NULL AND ?4 IS NOT NULL${newest}`,
        bind,
      );
      if (superseded) db.run(`DELETE FROM ${target} WHERE id IN (SELECT value ->> 3 ${COMPACT_OPS} AND ?1 IS NOT NULL AND ?4 IS NOT NULL AND ${COMPACT_SUPERSEDED})`, bind);
    }
  } else if (def !== undefined) {
    const columns = Object.keys(def.columns);
    db.run(
      `INSERT OR REPLACE INTO ${q(table!)} (id${columns.map((c) => `, ${q(c)}`).join('')})
       SELECT value ->> 3${compactColumns(columns, shapeColumns)} ${COMPACT_OPS} AND ?1 IS NOT NULL AND ?2 IS NOT NULL AND ?4 IS NOT NULL${newest}`,
      bind,
    );
    if (db.changes() > 0) direct.changed.add(table!);
    if (superseded) db.run(`INSERT OR IGNORE INTO ${PENDING} (type, id) SELECT ?2, value ->> 3 ${COMPACT_OPS} AND ?1 IS NOT NULL AND ?4 IS NOT NULL AND ${COMPACT_SUPERSEDED}`, bind);
  }
}

/**
 * After a crash between slices (the shadow lost), the op id ranges that clean compact segments
 * noted in sl_merged instead of sl_updated rows become sl_updated rows, so the next apply
 * re-derives them. Also when a publish applies no rows. Cheap when there is nothing to do.
 */
function recoverMerged(db: SqlDb): void {
  if (db.all('SELECT 1 FROM sl_merged LIMIT 1').length === 0) return;
  // The ranges (one per merged chunk, hundreds after a first sync) overlap: a chunk is sorted by
  // object id, so its range spans most of its line's. Joined with the op store they cost a pass
  // over a bucket's rows per range. They are coalesced per (bucket, type) first (overlapping or
  // adjacent ranges become one), then one pass over the op store's rows of those types keeps the
  // rows whose op id is in the coalesced range with the greatest lo at or below it (a key probe each).
  db.run(`CREATE TEMP TABLE IF NOT EXISTS sl_merged_ranges (bucket TEXT NOT NULL, type TEXT NOT NULL, lo INTEGER NOT NULL,
    hi INTEGER NOT NULL, PRIMARY KEY (bucket, type, lo)) WITHOUT ROWID`);
  db.run('DELETE FROM temp.sl_merged_ranges');
  db.run(`INSERT INTO temp.sl_merged_ranges (bucket, type, lo, hi)
    WITH ordered AS (
      SELECT bucket, type, lo, hi, max(hi) OVER (PARTITION BY bucket, type ORDER BY lo, hi
        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before FROM sl_merged WHERE type IS NOT NULL),
    grouped AS (
      SELECT bucket, type, lo, hi, sum(before IS NULL OR lo > before + 1) OVER (PARTITION BY bucket, type ORDER BY lo, hi
        ROWS UNBOUNDED PRECEDING) AS run FROM ordered)
    SELECT bucket, type, min(lo), max(hi) FROM grouped GROUP BY bucket, type, run`);
  db.run(`INSERT OR IGNORE INTO sl_updated (bucket, type, id) SELECT o.bucket, o.type, o.id FROM sl_oplog o
    WHERE o.type IN (SELECT type FROM temp.sl_merged_ranges)
      AND o.op_id <= (SELECT r.hi FROM temp.sl_merged_ranges r WHERE r.bucket = o.bucket AND r.type = o.type AND r.lo <= o.op_id
        ORDER BY r.lo DESC LIMIT 1)`);
  db.run('DELETE FROM temp.sl_merged_ranges');
  db.run('DELETE FROM sl_merged');
}

/** Merges the staged segment of a sl_staged row (see mergeSegment and mergeCompactSegment). */
function mergeStagedRow(db: SqlDb, r: Record<string, unknown>, direct: DirectApply | null, shadow: Schema | null = null): void {
  const bucket = String(r['bucket']);
  const seq = Number(r['seq']);
  if (r['shape'] !== null && r['shape'] !== undefined) mergeCompactSegment(db, bucket, { seq }, Number(r['shape']), direct, shadow);
  else mergeSegment(db, bucket, seq, Number(r['has_remove']) === 1, direct, shadow);
}

/** One data line to store: its bucket, its ops and the bucket's position/checksum after it. */
export interface StoredLine {
  bucket: string;
  ops: Op[];
  /** The line's ops in the compact form (then `ops` is empty), see protocol/lines.ts, prepared or not (compact-runs.ts). */
  compact?: CompactOps | PreparedCompact | null;
  local: LocalBucket;
}

/**
 * Ops per staged segment at most: a server line holds about a thousand ops, and a segment is the
 * unit a sliced apply cannot split (see applyCheckpointInSlices), so smaller segments keep each
 * slice — and the wait of a query queued behind it — short.
 */
const SEGMENT_MAX_OPS = 200;

/**
 * Compact PUTs per staged segment at most: a compact segment is merged by a few set statements
 * (no temp table, no JSON strings to parse), so a line's thousand ops fit one slice.
 */
const COMPACT_SEGMENT_MAX_OPS = 200;

/**
 * How many ops an eager store merges per chunk (each chunk is two steps, with a pause between and
 * after them): the caller's choice at each chunk, so that it can take short steps while queries
 * wait and long ones (fewer statements) while none do. By default COMPACT_SEGMENT_MAX_OPS.
 */
export type ChunkOps = () => number;
const DEFAULT_CHUNK_OPS: ChunkOps = () => COMPACT_SEGMENT_MAX_OPS;

/** The id of a compact shape in sl_shapes (added the first time it is seen). */
function shapeId(db: SqlDb, ids: Map<string, number>, shape: [string | null, string[]]): number {
  const key = JSON.stringify(shape);
  let id = ids.get(key);
  if (id === undefined) {
    db.run('INSERT OR IGNORE INTO sl_shapes (shape) VALUES (?)', [key]);
    id = Number(db.all('SELECT id FROM sl_shapes WHERE shape = ?', [key])[0]!['id']);
    ids.set(key, id);
  }
  return id;
}

/**
 * Stages a compact line (prepared, see compact-runs.ts; prepared here when it was not): its runs
 * of PUTs of one shape become compact segments, staged as the wire's own op arrays (the prepared
 * JSON of at most COMPACT_SEGMENT_MAX_OPS ops, sorted by object id); everything else (REMOVE,
 * PUT without values) becomes a standard segment. Arrival order is kept: a REMOVE merged before an
 * older PUT of its row would let that PUT bring the row back. With `eager` (an eager store, see
 * storeSteps) a run is not staged but merged at once, after whatever is staged before it, into the
 * op store and eager's shadow tables, in chunks of at least chunkOps() ops (asked before each
 * chunk). Yields after each run or chunk.
 */
function* stageCompact(db: SqlDb, { bucket, compact, local }: StoredLine, shapeIds: Map<string, number>, eager: Schema | null,
  chunkOps: ChunkOps): Generator<void, void, void> {
  const { shapes, parts } = asPrepared(compact!);
  let clearFirst = false;
  let standard: Op[] = [];
  // Eager: whether this line staged a segment that is not merged yet (nothing is staged when a
  // line starts, see storeSteps), and the newest position of the other buckets (their positions do
  // not change while this line is stored), read at the first run.
  let staged = false;
  let other: number | bigint | null | undefined;
  const flushStandard = () => {
    if (!clearFirst && standard.length === 0) return;
    staged = true;
    db.run('INSERT INTO sl_staged (bucket, clear_first, has_remove, ops) VALUES (?, ?, ?, ?)', [
      bucket, clearFirst ? 1 : 0, standard.some((o) => o.op === 'REMOVE') ? 1 : 0, batchOf(standard),
    ]);
    clearFirst = false;
    standard = [];
  };
  /** Stages the run in segments of at most COMPACT_SEGMENT_MAX_OPS ops, or (eager) merges it in steps. */
  const flushRun = function* (run: Extract<CompactPart, { kind: 'run' }>): Generator<void, void, void> {
    const shapeDef = shapes[run.shape]!;
    const shape = shapeId(db, shapeIds, shapeDef);
    if (eager === null) {
      for (let at = 0; at < run.chunks.length;) {
        const { chunk, next } = groupChunks(run.chunks, at, COMPACT_SEGMENT_MAX_OPS);
        at = next;
        db.run('INSERT INTO sl_staged (bucket, clear_first, has_remove, ops, shape) VALUES (?, 0, 0, jsonb(CAST(? AS TEXT)), ?)', [bucket, chunk.json, shape]);
      }
      return;
    }
    if (staged) {
      while (mergeFirstStaged(db, eager));
      staged = false;
    }
    other ??= db.all('SELECT max(CAST(after AS INTEGER)) AS other FROM sl_buckets WHERE name != ?', [bucket])[0]!['other'] as number | bigint | null;
    // In object id order (prepared so): each insert then lands near the one before it in the op
    // store's and the shadow's B-trees (a CPU A/B in docs/benchmarks.md, P4). The order changes no
    // outcome: the op store keeps the op with the highest op id of a row, and a stable sort keeps
    // two ops of one row in arrival (op id) order, also across chunks, for the shadow's INSERT OR REPLACE.
    for (let at = 0; at < run.chunks.length;) {
      if (at > 0) yield;
      const { chunk, next } = groupChunks(run.chunks, at, Math.max(1, Math.floor(chunkOps()) || 1));
      at = next;
      db.run(`CREATE TEMP TABLE IF NOT EXISTS sl_chunk (k INTEGER PRIMARY KEY, j BLOB NOT NULL)`);
      db.run(`INSERT OR REPLACE INTO ${CHUNK_TABLE} (k, j) VALUES (0, jsonb(CAST(? AS TEXT)))`, [chunk.json]);
      yield* mergeCompactSteps(db, bucket, { chunk: true, lo: chunk.lo, hi: chunk.hi, other, shape: shapeDef }, shape, null, eager);
    }
  };
  for (const part of parts) {
    if (part.kind === 'run') {
      flushStandard();
      yield* flushRun(part);
      yield;
    } else if (part.kind === 'clear') {
      flushStandard();
      clearFirst = true;
    } else {
      standard = part.ops;
      flushStandard();
    }
  }
  flushStandard();
  saveBucket(db, bucket, local);
}

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
export function storeLines(db: SqlDb, lines: readonly StoredLine[], eager: Schema | null = null): void {
  if (lines.length === 0) return;
  transaction(db, () => {
    for (const _ of storeSteps(db, lines, eager));
  });
}

/**
 * storeLines for the worker: the same transaction, with `pause` awaited between its steps (a line
 * staged, a segment merged; each a few statements on at most a line's ops), so that queries queued
 * meanwhile wait for one step, not for the whole batch (Lock.runSharing: app tables are untouched).
 */
export async function storeLinesPausing(db: SqlDb, lines: readonly StoredLine[], eager: Schema | null, pause: () => Promise<void>,
  chunkOps: ChunkOps = DEFAULT_CHUNK_OPS): Promise<void> {
  if (lines.length === 0) return;
  await transactionAsync(db, async () => {
    for (const _ of storeSteps(db, lines, eager, chunkOps)) await pause();
  });
}

/** The statements of storeLines, in steps (yields between them); the caller runs them in one transaction. */
function* storeSteps(db: SqlDb, lines: readonly StoredLine[], eager: Schema | null, chunkOps: ChunkOps = DEFAULT_CHUNK_OPS): Generator<void, void, void> {
  const shapeIds = new Map<string, number>();
  // Eager (the worker, for a batch with compact lines): the lines are merged into the op store
  // and the shadow tables of the coming sliced apply right away, in this same transaction,
  // while the network is the bottleneck, instead of all at checkpoint_complete. Only with
  // nothing staged before, so segments still merge in arrival order.
  const merge = eager !== null && lines.some((l) => l.compact != null) && db.all('SELECT 1 FROM sl_staged LIMIT 1').length === 0;
  if (merge && ensureShadows(db, eager)) recoverMerged(db);
  for (const line of lines) {
    if (line.compact != null) yield* stageCompact(db, line, shapeIds, merge ? eager : null, chunkOps);
    else stageLine(db, line);
    yield;
    // Each line's segments merge as soon as it is staged: arrival order is kept and the stage
    // stays small (its pages are reused by the next line instead of growing the file).
    if (merge) while (mergeFirstStaged(db, eager)) yield;
  }
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
  for (const r of db.all('SELECT seq, bucket, clear_first, has_remove, shape FROM sl_staged ORDER BY seq')) {
    const bucket = String(r['bucket']);
    if (Number(r['clear_first']) === 1) clearBucket(db, bucket);
    const covered = direct !== null && (direct.buckets === 'all' || direct.buckets.has(bucket));
    mergeStagedRow(db, r, covered ? direct : null);
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
    abandonShadows(db);
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
    abandonShadows(db);
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
    if (full) markSynced(db);
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
    // The newest op of each row over all buckets (several rows only if two buckets hold the same op).
    const latest = `SELECT p.id AS id, o.data AS data, o.shape AS row_shape FROM temp.sl_pending p
        LEFT JOIN sl_oplog o ON o.type = p.type AND o.id = p.id
          AND o.op_id = (SELECT max(x.op_id) FROM sl_oplog x WHERE x.type = p.type AND x.id = p.id)
        WHERE p.type = ?`;
    db.run(`DELETE FROM ${q(table)} WHERE id IN (SELECT id FROM (${latest}) WHERE data IS NULL)`, [table]);
    // A compact row (shape set) holds its values by position: the column's place in its shape.
    const place = (c: string) => `(SELECT key FROM sl_shapes sh, json_each(sh.shape, '$[1]') WHERE sh.id = row_shape AND value = '${c.replaceAll("'", "''")}')`;
    const extract = columns.map((c) => `, CASE WHEN row_shape IS NULL THEN json_extract(data, '$.${c}') ELSE data ->> ${place(c)} END`).join('');
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
    // WITHOUT ROWID: one B-tree per shadow instead of a table and its id index, and the publish
    // reads it in id order, so the app table and its id index are filled in key order.
    db.run(`CREATE TEMP TABLE ${q(`sl_shadow_${table}`)} (id TEXT PRIMARY KEY NOT NULL${cols}) WITHOUT ROWID`);
  }
}

/** Drops every shadow table (whatever schema made them) and the note of when they were made. */
function dropShadows(db: SqlDb): void {
  for (const r of db.all(`SELECT name FROM sqlite_temp_master WHERE type = 'table' AND name LIKE 'sl\\_shadow\\_%' ESCAPE '\\'`)) {
    db.run(`DROP TABLE IF EXISTS temp.${q(String(r['name']))}`);
  }
}

/**
 * Makes the shadow tables unless they exist (they outlive one store: eager stores fill them, the
 * sliced apply publishes them); notes the newest local write at that moment. Returns whether it
 * made them: then any sl_merged ranges are orphans of a lost shadow (a crash) to recover.
 */
function ensureShadows(db: SqlDb, schema: Schema): boolean {
  if (db.all(`SELECT 1 FROM sqlite_temp_master WHERE name = 'sl_shadow_since'`).length > 0) return false;
  createShadows(db, schema);
  db.run('CREATE TEMP TABLE sl_shadow_since (local_write INTEGER NOT NULL)');
  db.run('INSERT INTO temp.sl_shadow_since (local_write) VALUES (?)', [lastLocalWrite(db)]);
  return true;
}

/** The newest local write when the shadow tables were made. */
function shadowSince(db: SqlDb): number {
  return Number(db.all('SELECT local_write FROM temp.sl_shadow_since')[0]!['local_write']);
}

/**
 * Anything but the sliced apply's publish that changes what the shadows would show (a bucket
 * removed, a one-transaction apply): the shadows go, and the rows they held wait in sl_updated.
 */
function abandonShadows(db: SqlDb): void {
  dropShadows(db);
  recoverMerged(db);
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
 * has passed (at least one segment), awaiting `pause` between segments. Returns whether staged
 * segments remain.
 */
async function mergeSlice(db: SqlDb, schema: Schema, budgetMs: number, pause: () => Promise<void>): Promise<boolean> {
  return transactionAsync(db, async () => {
    const started = Date.now();
    for (;;) {
      if (!mergeFirstStaged(db, schema)) return false;
      if (Date.now() - started >= budgetMs) return true;
      await pause();
    }
  });
}

/** Merges the oldest staged segment into the op store and the shadows; false when none is staged. */
function mergeFirstStaged(db: SqlDb, schema: Schema): boolean {
  const rows = db.all('SELECT seq, bucket, clear_first, has_remove, shape FROM sl_staged ORDER BY seq LIMIT 1');
  if (rows.length === 0) return false;
  db.run(`CREATE TEMP TABLE IF NOT EXISTS sl_segment (op TEXT, op_id INTEGER, type TEXT, id TEXT, data TEXT, checksum INTEGER)`);
  const r = rows[0]!;
  const bucket = String(r['bucket']);
  const seq = Number(r['seq']);
  if (Number(r['clear_first']) === 1) {
    // Rows the CLEAR drops leave the shadow too (they are in sl_updated, re-derived at publish);
    // each table's op store rows are a key prefix (type) search.
    for (const table of Object.keys(schema.tables)) {
      db.run(`DELETE FROM ${shadowTable(table)} WHERE id IN (SELECT id FROM sl_oplog WHERE bucket = ? AND type = ?)`, [bucket, table]);
    }
    clearBucket(db, bucket);
  }
  mergeStagedRow(db, r, null, schema);
  db.run('DELETE FROM sl_staged WHERE seq = ?', [seq]);
  return true;
}

/**
 * Shadow rows from which the publish drops a table's triggers while copying: dropping and creating
 * them changes the schema (every cached statement is prepared again), worth it for a bulk copy only.
 */
const BULK_PUBLISH_ROWS = 1000;

/** Phase 2: publishes the shadow and re-derives the rest, in one transaction (see applyCheckpoint). */
function publish(db: SqlDb, schema: Schema, req: ApplyRequest): string[] {
  return transaction(db, () => {
    const localWriteAtStart = shadowSince(db);
    if (req.positions !== null) {
      for (const [name, b] of Object.entries(req.positions)) saveBucket(db, name, b);
    }
    mergeStaged(db); // lines staged after the last slice (none in the engine: it stores nothing meanwhile)
    clearStaged(db);
    if (lastLocalWrite(db) !== localWriteAtStart) {
      recoverMerged(db); // the shadow is not published: its rows wait in sl_updated too
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
    // A large shadow (a first sync) is copied with the table's triggers dropped meanwhile (see withoutTriggers).
    const large = Object.keys(schema.tables).filter((t) =>
      Number(db.all(`SELECT count(*) AS n FROM (SELECT 1 FROM ${shadowTable(t)} LIMIT ${BULK_PUBLISH_ROWS})`)[0]!['n']) >= BULK_PUBLISH_ROWS);
    withoutTriggers(db, schema, large, () => {
      for (const [table, def] of Object.entries(schema.tables)) {
        const cols = ['id', ...Object.keys(def.columns)].map((c) => q(c)).join(', ');
        db.run(`INSERT OR REPLACE INTO ${q(table)} (${cols}) SELECT ${cols} FROM ${shadowTable(table)}`);
        if (db.changes() > 0) changed.push(table);
      }
    });
    db.run(
      `INSERT OR IGNORE INTO temp.sl_pending SELECT u.type, u.id FROM sl_updated u
       ${shadowed.length > 0 ? `WHERE NOT (${shadowed.join(' OR ')})` : ''}`,
    );
    db.run('INSERT OR IGNORE INTO temp.sl_pending SELECT type, id FROM sl_touched');
    for (const table of rederivePending(db, schema)) if (!changed.includes(table)) changed.push(table);
    db.run(`UPDATE sl_kv SET value = 0 WHERE key = 'applying'`);
    db.run('DELETE FROM sl_updated');
    db.run('DELETE FROM sl_merged');
    db.run('DELETE FROM sl_touched');
    db.run('DELETE FROM temp.sl_pending');
    markSynced(db);
    return changed;
  });
}

/** Options of applyCheckpointInSlices. */
export interface Slicing {
  /** Runs one step with the database to itself (the worker's lock) after yielding to queued work. */
  run<T>(fn: () => T): Promise<T>;
  /**
   * Runs a merge slice, which leaves the app tables as they are: read-only queries may run while
   * it awaits `pause` (the worker's Lock.runSharing). By default `run`.
   */
  runSharing?<T>(fn: () => Promise<T>): Promise<T>;
  /** Awaited between two segments of a slice: where queued queries get their turn. By default none. */
  pause?(): Promise<void>;
  /** Time budget of one slice (one transaction) in ms. */
  sliceMs: number;
}

/**
 * applyCheckpoint for the worker: a full checkpoint with rows to apply is merged in slices and
 * published in one short transaction (see above); anything else is one transaction as before.
 */
export async function applyCheckpointInSlices(db: SqlDb, schema: Schema, req: ApplyRequest, slicing: Slicing): Promise<string[]> {
  if (!req.applyRows || req.priority !== null) return slicing.run(() => applyCheckpoint(db, schema, req));
  // The shadows may hold rows already (eager stores, see storeLines); made now otherwise.
  await slicing.run(() => transaction(db, () => {
    if (ensureShadows(db, schema)) recoverMerged(db);
  }));
  try {
    const runSharing = slicing.runSharing?.bind(slicing) ?? ((fn: () => Promise<boolean>) => slicing.run(fn));
    const pause = slicing.pause?.bind(slicing) ?? (async () => undefined);
    while (await runSharing(() => mergeSlice(db, schema, slicing.sliceMs, pause)));
    return await slicing.run(() => publish(db, schema, req));
  } finally {
    await slicing.run(() => dropShadows(db));
  }
}
