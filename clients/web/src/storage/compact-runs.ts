/**
 * A compact data line (protocol/lines.ts, CompactOps) prepared for the store and the sync state
 * machine, by pure code that may run on another thread (worker/line-source.ts): the ops become
 * parts in arrival order — runs of PUTs of one shape, sorted by object id and cut into chunks that
 * are already the JSON the store binds (UTF-8 bytes); the few other ops as standard ops; CLEARs —
 * plus what the state machine needs (op count, checksum, highest op id). Nothing per op is left to
 * build, parse or sort on the thread that owns the database, and the prepared line crosses threads
 * as a few byte arrays (transferred) instead of a thousand arrays.
 */
import { COMPACT_KINDS, type CompactOp, type CompactOps, type Op } from '../protocol/lines.js';

const utf8 = new TextEncoder();

/** The buffers of a prepared line's chunks: the transfer list of the message that carries it. */
export function chunkBuffers(p: PreparedCompact): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const part of p.parts) if (part.kind === 'run') for (const c of part.chunks) out.push(c.json.buffer as ArrayBuffer);
  return out;
}

/** Ops per prepared chunk: the short step of a store while the page queries (CHUNK_OPS_QUERIED). */
export const PREPARED_CHUNK_OPS = 100;

/** Standard ops per part at most (a staged segment, see sync-store.ts SEGMENT_MAX_OPS). */
export const STANDARD_PART_OPS = 200;

/**
 * A piece of a sorted run: its ops as a JSON array (the wire's op arrays) in UTF-8, and their op id
 * range. Bytes rather than a string: they cross to the database worker by transfer (no copy), live
 * outside its JavaScript heap until the store binds them (a string held by a pending store batch
 * is copied by every young-generation collection on the way), and SQLite reads them as they are.
 */
export interface PreparedChunk {
  json: Uint8Array;
  lo: number | bigint;
  hi: number | bigint;
  n: number;
}

export type CompactPart =
  | { kind: 'clear' }
  | { kind: 'standard'; ops: Op[] }
  /** Consecutive PUTs with values of one shape (index into shapes), sorted by object id, in chunks. */
  | { kind: 'run'; shape: number; chunks: PreparedChunk[] };

export interface PreparedCompact {
  prepared: true;
  shapes: [string | null, string[]][];
  parts: CompactPart[];
  /** Ops in the line (MOVEs included). */
  total: number;
  /** The highest op id of the line (null without ops), a number while every id is one. */
  maxOpId: number | string | null;
  /** Whether the line holds a CLEAR: then the bucket's checksum and count restart at the last one. */
  cleared: boolean;
  /** Sum (mod 2^32) of the op checksums from the last CLEAR on (all ops without one), and their count. */
  checksum: number;
  count: number;
}

/** The line prepared, or as it is when it already was. */
export function asPrepared(c: CompactOps | PreparedCompact): PreparedCompact {
  return 'prepared' in c ? c : prepareCompact(c);
}

export function prepareCompact({ shapes, ops }: CompactOps): PreparedCompact {
  const parts: CompactPart[] = [];
  let standard: Op[] = [];
  let runStart = -1;
  let runShape = -1;
  let cleared = false;
  let checksum = 0;
  let count = 0;
  let maxNumber = -1;
  let maxBig: bigint | null = null; // op ids sent as decimal strings (above 2^53)
  const flushStandard = () => {
    if (standard.length > 0) parts.push({ kind: 'standard', ops: standard });
    standard = [];
  };
  const flushRun = (end: number) => {
    const run = ops.slice(runStart, end);
    run.sort(byObjectId); // stable: two ops of one row keep their arrival (op id) order
    const chunks: PreparedChunk[] = [];
    for (let at = 0; at < run.length; at += PREPARED_CHUNK_OPS) {
      const chunk = run.slice(at, at + PREPARED_CHUNK_OPS);
      const [lo, hi] = opIdRange(chunk);
      chunks.push({ json: utf8.encode(JSON.stringify(chunk)), lo, hi, n: chunk.length });
    }
    parts.push({ kind: 'run', shape: runShape, chunks });
    runStart = -1;
  };
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    const id = op[0];
    if (typeof id === 'number') {
      if (id > maxNumber) maxNumber = id;
    } else {
      const big = BigInt(id);
      if (maxBig === null || big > maxBig) maxBig = big;
    }
    const kind = op[2];
    if (kind === 3) {
      cleared = true;
      checksum = 0;
      count = 0;
    }
    checksum = (checksum + op[1]) >>> 0;
    count += 1;
    const shape = op[5];
    if (kind === 0 && Array.isArray(op[4]) && typeof shape === 'number') {
      if (runStart >= 0 && shape !== runShape) flushRun(i);
      if (runStart < 0) {
        flushStandard();
        runStart = i;
        runShape = shape;
      }
      continue;
    }
    if (runStart >= 0) flushRun(i);
    if (kind === 3) {
      flushStandard();
      parts.push({ kind: 'clear' });
    } else if (kind !== 2) {
      standard.push(compactToOp(op, shapes));
      if (standard.length >= STANDARD_PART_OPS) flushStandard();
    }
  }
  if (runStart >= 0) flushRun(ops.length);
  flushStandard();
  const maxOpId = maxBig !== null && maxBig > BigInt(maxNumber) ? String(maxBig) : maxNumber >= 0 ? maxNumber : null;
  return { prepared: true, shapes, parts, total: ops.length, maxOpId, cleared, checksum, count };
}

/** The lowest and highest op id of compact ops (numbers while they are; BigInt for decimal strings). */
function opIdRange(run: readonly CompactOp[]): [number | bigint, number | bigint] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const op of run) {
    const id = op[0];
    if (typeof id !== 'number') return opIdRangeBig(run);
    if (id < lo) lo = id;
    if (id > hi) hi = id;
  }
  return [lo, hi];
}

function opIdRangeBig(run: readonly CompactOp[]): [bigint, bigint] {
  let lo = BigInt(run[0]![0]);
  let hi = lo;
  for (const op of run) {
    const id = BigInt(op[0]);
    if (id < lo) lo = id;
    if (id > hi) hi = id;
  }
  return [lo, hi];
}

/** Compact ops (PUTs, so with an object id) by object id. */
function byObjectId(a: CompactOp, b: CompactOp): number {
  const x = a[3]!;
  const y = b[3]!;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** A compact op as a standard one (the rare ops a run does not take). */
function compactToOp(op: CompactOp, shapes: CompactOps['shapes']): Op {
  const values = op[4];
  const shape = typeof op[5] === 'number' ? shapes[op[5]]! : null;
  let data: string | null = null;
  if (typeof values === 'string') data = values;
  else if (Array.isArray(values) && shape !== null) {
    const row: Record<string, unknown> = {};
    values.forEach((v, i) => (row[shape[1][i]!] = v));
    data = JSON.stringify(row);
  }
  return { op_id: typeof op[0] === 'number' ? String(op[0]) : op[0], op: COMPACT_KINDS[op[2]]!, object_type: shape?.[0] ?? null,
    object_id: op[3] ?? null, subkey: op[6] ?? null, data, checksum: op[1] };
}

/**
 * Consecutive chunks of a run joined into one of at least `size` ops (or what is left), from
 * chunks[from]: the JSON text the store binds, its op id range, and where the next group starts.
 */
export function groupChunks(chunks: readonly PreparedChunk[], from: number, size: number): { chunk: PreparedChunk; next: number } {
  let next = from;
  let n = 0;
  while (next < chunks.length && (next === from || n < size)) n += chunks[next++]!.n;
  if (next === from + 1) return { chunk: chunks[from]!, next };
  const group = chunks.slice(from, next);
  let lo = group[0]!.lo;
  let hi = group[0]!.hi;
  for (const c of group) {
    if (c.lo < lo) lo = c.lo;
    if (c.hi > hi) hi = c.hi;
  }
  // The arrays' elements joined: '[' a… ',' b… ']' (each piece without its own brackets).
  const json = new Uint8Array(group.reduce((sum, c) => sum + c.json.length - 1, 1));
  let at = 0;
  group.forEach((c, i) => {
    json[at++] = i === 0 ? 0x5b : 0x2c; // '[' first, ',' between
    json.set(c.json.subarray(1, c.json.length - 1), at);
    at += c.json.length - 2;
  });
  json[at] = 0x5d; // ']'
  return { chunk: { json, lo, hi, n }, next };
}
