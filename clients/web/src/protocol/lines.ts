/**
 * Sync lines of PROTOCOL.md §2 as typed values, and a strict parser: op ids stay decimal strings
 * (64-bit values do not fit a JS number), and a line that breaks the contract is refused so the
 * session ends instead of storing something unvalidated.
 */
import { prepareCompact, type PreparedCompact } from '../storage/compact-runs.js';

export type OpKind = 'PUT' | 'REMOVE' | 'MOVE' | 'CLEAR';

export interface BucketChecksum {
  bucket: string;
  checksum: number;
  count: number;
  priority: number;
  /**
   * Why the connection holds this bucket (Sync Streams, PROTOCOL.md §9): `{default: k}` (k indexes
   * the checkpoint's `streams`) or `{sub: i}` (i indexes the request's subscriptions). Empty when
   * the server sent none (bucket definitions only).
   */
  subscriptions: BucketReason[];
}

export type BucketReason = { default: number } | { sub: number };

/** One entry of a full checkpoint's `streams` list: a stream the connection is subscribed to. */
export interface StreamDescription {
  name: string;
  is_default: boolean;
  /** Problems with the default subscription ("default") or with the request's subscription i. */
  errors: { subscription: 'default' | number; message: string }[];
}

export interface Op {
  op_id: string;
  op: OpKind;
  object_type?: string | null;
  object_id?: string | null;
  subkey?: string | null;
  data?: string | null;
  checksum: number;
}

/**
 * The ops of a compact data line (`rows`, docs/sync-api.md "Compact rows"), validated but kept as
 * the wire's arrays: `[op_id, checksum, kind, object_id, values, shape, subkey]` (kind 0 PUT,
 * 1 REMOVE, 2 MOVE, 3 CLEAR; trailing nulls left out), `values` in the order of
 * `shapes[shape][1]`, the columns of table `shapes[shape][0]`. No object per op is built.
 */
export interface CompactOps {
  shapes: [string | null, string[]][];
  ops: CompactOp[];
}

export type CompactOp = [opId: number | string, checksum: number, kind: 0 | 1 | 2 | 3, id?: string | null,
  values?: unknown[] | string | null, shape?: number | null, subkey?: string | null];

export const COMPACT_KINDS: readonly OpKind[] = ['PUT', 'REMOVE', 'MOVE', 'CLEAR'];

export type SyncLine =
  | { kind: 'checkpoint'; lastOpId: string; writeCheckpoint: string | null; buckets: BucketChecksum[]; streams: StreamDescription[] | null }
  | {
      kind: 'checkpoint_diff';
      lastOpId: string;
      writeCheckpoint: string | null;
      updatedBuckets: BucketChecksum[];
      removedBuckets: string[];
    }
  /**
   * `compact` set (and `ops` empty) when the line came in the compact form: as parsed, or prepared
   * for the store (storage/compact-runs.ts, prepareLine) by whoever read the stream.
   */
  | { kind: 'data'; bucket: string; ops: Op[]; compact: CompactOps | PreparedCompact | null; hasMore: boolean; after: string; nextAfter: string }
  | { kind: 'checkpoint_complete'; lastOpId: string }
  | { kind: 'partial_checkpoint_complete'; lastOpId: string; priority: number }
  | { kind: 'token_expires_in'; seconds: number };

export const DEFAULT_PRIORITY = 3;

export class MalformedLineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedLineError';
  }
}

type Json = Record<string, unknown>;

function obj(v: unknown, what: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new MalformedLineError(`${what} must be an object, got ${JSON.stringify(v)}`);
  }
  return v as Json;
}

function opId(o: Json, field: string): string {
  const v = o[field];
  if (typeof v !== 'string' || !/^\d+$/.test(v)) {
    throw new MalformedLineError(`${field} must be a decimal op id string, got ${JSON.stringify(v)}`);
  }
  return v;
}

function optionalOpId(o: Json, field: string): string | null {
  return o[field] === undefined || o[field] === null ? null : opId(o, field);
}

function int(o: Json, field: string): number {
  const v = o[field];
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new MalformedLineError(`${field} must be an integer, got ${JSON.stringify(v)}`);
  }
  return v;
}

function text(o: Json, field: string): string {
  const v = o[field];
  if (typeof v !== 'string') {
    throw new MalformedLineError(`${field} must be a string, got ${JSON.stringify(v)}`);
  }
  return v;
}

function nullableText(o: Json, field: string): string | null {
  const v = o[field];
  return v === undefined || v === null ? null : text(o, field);
}

function list(v: unknown, what: string): unknown[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new MalformedLineError(`${what} must be an array`);
  return v;
}

function bucketChecksums(v: unknown, what: string): BucketChecksum[] {
  return list(v, what).map((b) => {
    const o = obj(b, 'bucket checksum');
    const checksum = int(o, 'checksum');
    if (checksum < 0 || checksum > 0xffffffff) {
      throw new MalformedLineError(`checksum must be an unsigned 32-bit value, got ${checksum}`);
    }
    return {
      bucket: text(o, 'bucket'),
      checksum,
      count: int(o, 'count'),
      priority: o['priority'] === undefined || o['priority'] === null ? DEFAULT_PRIORITY : int(o, 'priority'),
      subscriptions: list(o['subscriptions'] ?? undefined, 'subscriptions').map((r) => {
        const reason = obj(r, 'bucket subscription reason');
        if (typeof reason['default'] === 'number') return { default: reason['default'] };
        if (typeof reason['sub'] === 'number') return { sub: reason['sub'] };
        throw new MalformedLineError(`a bucket subscription reason must be {default: k} or {sub: i}, got ${JSON.stringify(r)}`);
      }),
    };
  });
}

function streamDescriptions(v: unknown): StreamDescription[] | null {
  if (v === undefined || v === null) return null;
  return list(v, 'streams').map((raw) => {
    const o = obj(raw, 'stream description');
    return {
      name: text(o, 'name'),
      is_default: o['is_default'] === true,
      errors: list(o['errors'] ?? undefined, 'errors').map((e) => {
        const err = obj(e, 'stream error');
        const sub = err['subscription'];
        return { subscription: typeof sub === 'number' ? sub : 'default', message: String(err['message'] ?? '') };
      }),
    };
  });
}

const OP_KINDS: ReadonlySet<string> = new Set(['PUT', 'REMOVE', 'MOVE', 'CLEAR']);

function ops(v: unknown): Op[] {
  return list(v, 'data').map((raw) => {
    const o = obj(raw, 'op');
    const kind = text(o, 'op');
    if (!OP_KINDS.has(kind)) throw new MalformedLineError(`unknown op kind ${kind}`);
    const checksum = int(o, 'checksum');
    if (checksum < 0 || checksum > 0xffffffff) {
      throw new MalformedLineError(`op checksum must be an unsigned 32-bit value, got ${checksum}`);
    }
    return {
      op_id: opId(o, 'op_id'),
      op: kind as OpKind,
      object_type: nullableText(o, 'object_type'),
      object_id: nullableText(o, 'object_id'),
      subkey: nullableText(o, 'subkey'),
      data: nullableText(o, 'data'),
      checksum,
    };
  });
}

const DECIMAL = /^\d+$/;

/** Checks a compact line's ops in one tight loop (the same contract as `ops`, without an object per op). */
function compactOps(o: Json): CompactOps {
  const shapes = list(o['shapes'], 'shapes').map((s) => {
    if (!Array.isArray(s) || (s[0] !== null && typeof s[0] !== 'string') || !Array.isArray(s[1]) || !s[1].every((c) => typeof c === 'string')) {
      throw new MalformedLineError(`a shape must be [table, [column, …]], got ${JSON.stringify(s)}`);
    }
    return s as [string | null, string[]];
  });
  const ops = list(o['ops'], 'ops') as CompactOp[];
  for (const op of ops) {
    const bad = (why: string) => new MalformedLineError(`compact op ${JSON.stringify(op)}: ${why}`);
    if (!Array.isArray(op)) throw bad('not an array');
    const id = op[0];
    if (!(typeof id === 'number' ? Number.isSafeInteger(id) && id >= 0 : typeof id === 'string' && DECIMAL.test(id))) throw bad('op id must be a number or a decimal string');
    const checksum = op[1];
    if (typeof checksum !== 'number' || !Number.isInteger(checksum) || checksum < 0 || checksum > 0xffffffff) throw bad('checksum must be an unsigned 32-bit value');
    const kind = op[2];
    if (kind !== 0 && kind !== 1 && kind !== 2 && kind !== 3) throw bad('kind must be 0, 1, 2 or 3');
    if (kind <= 1) {
      if (typeof op[3] !== 'string') throw bad('PUT and REMOVE need an object id');
      const shape = op[5];
      if (shape !== undefined && shape !== null && (typeof shape !== 'number' || shapes[shape] === undefined)) throw bad('shape must index shapes');
      const values = op[4];
      if (Array.isArray(values) ? typeof shape !== 'number' || values.length > shapes[shape]![1].length : values !== undefined && values !== null && typeof values !== 'string') {
        throw bad('values must be an array no longer than its shape, a string or null');
      }
      if (op[6] !== undefined && op[6] !== null && typeof op[6] !== 'string') throw bad('subkey must be a string');
    }
  }
  return { shapes, ops };
}

/** Parses one decoded NDJSON line. */
export function parseLine(value: unknown): SyncLine {
  const root = obj(value, 'a sync line');
  const keys = Object.keys(root);
  if (keys.length !== 1) {
    throw new MalformedLineError(`a line must have exactly one key, got ${JSON.stringify(keys)}`);
  }
  const kind = keys[0]!;
  const v = root[kind];
  switch (kind) {
    case 'checkpoint': {
      const o = obj(v, kind);
      return {
        kind,
        lastOpId: opId(o, 'last_op_id'),
        writeCheckpoint: optionalOpId(o, 'write_checkpoint'),
        buckets: bucketChecksums(o['buckets'], 'buckets'),
        streams: streamDescriptions(o['streams']),
      };
    }
    case 'checkpoint_diff': {
      const o = obj(v, kind);
      return {
        kind,
        lastOpId: opId(o, 'last_op_id'),
        writeCheckpoint: optionalOpId(o, 'write_checkpoint'),
        updatedBuckets: bucketChecksums(o['updated_buckets'], 'updated_buckets'),
        removedBuckets: list(o['removed_buckets'], 'removed_buckets').map((b) => {
          if (typeof b !== 'string') throw new MalformedLineError('removed_buckets must hold strings');
          return b;
        }),
      };
    }
    case 'data': {
      const o = obj(v, kind);
      return {
        kind,
        bucket: text(o, 'bucket'),
        ops: ops(o['data']),
        compact: null,
        hasMore: o['has_more'] === true,
        after: opId(o, 'after'),
        nextAfter: opId(o, 'next_after'),
      };
    }
    case 'rows': {
      const o = obj(v, kind);
      return {
        kind: 'data',
        bucket: text(o, 'bucket'),
        ops: [],
        compact: compactOps(o),
        hasMore: o['has_more'] === true,
        after: opId(o, 'after'),
        nextAfter: opId(o, 'next_after'),
      };
    }
    case 'checkpoint_complete':
      return { kind, lastOpId: opId(obj(v, kind), 'last_op_id') };
    case 'partial_checkpoint_complete': {
      const o = obj(v, kind);
      return { kind, lastOpId: opId(o, 'last_op_id'), priority: int(o, 'priority') };
    }
    case 'token_expires_in':
      if (typeof v !== 'number' || !Number.isInteger(v)) {
        throw new MalformedLineError('token_expires_in must be an integer');
      }
      return { kind, seconds: v };
    default:
      throw new MalformedLineError(`unknown line kind ${kind}`);
  }
}

/** Wrapping 32-bit addition of unsigned checksums. */
export function addChecksum(a: number, b: number): number {
  return (a + b) >>> 0;
}

/** An op id as a decimal string. */
export function opIdText(id: number | string): string {
  return typeof id === 'number' ? String(id) : id;
}

/** Compares two decimal op id strings numerically. */
export function compareOpIds(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The line with its compact ops prepared for the store (storage/compact-runs.ts): what the stream's
 * reader does, on its own thread where it has one (worker/line-source.ts).
 */
export function prepareLine(line: SyncLine): SyncLine {
  if (line.kind !== 'data' || line.compact === null || 'prepared' in line.compact) return line;
  return { ...line, compact: prepareCompact(line.compact) };
}
