// Compact lines prepared for the store off the database thread (storage/compact-runs.ts): parts in
// arrival order, sorted chunks, the state machine's figures, and the same outcome as the line as parsed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseLine, prepareLine, type CompactOp, type CompactOps } from '../src/protocol/lines.js';
import { groupChunks, prepareCompact, PREPARED_CHUNK_OPS, STANDARD_PART_OPS, type CompactPart } from '../src/storage/compact-runs.js';
import { initialState, step, type SyncEvent, type SyncState } from '../src/sync/state.js';

const SHAPES: CompactOps['shapes'] = [['todos', ['id', 'description']], ['lists', ['id', 'name']]];
const parse = (bytes: Uint8Array): unknown => JSON.parse(new TextDecoder().decode(bytes));
const put = (opId: number | string, id: string, v: string, shape = 0, checksum = 1): CompactOp => [opId, checksum, 0, id, [id, v], shape];

/** A part as ids (runs: the object ids per chunk, in chunk order). */
function shapeOf(p: CompactPart): unknown {
  if (p.kind === 'clear') return 'CLEAR';
  if (p.kind === 'standard') return p.ops.map((o) => `${o.op} ${o.object_id}`);
  return { shape: p.shape, chunks: p.chunks.map((c) => (parse(c.json) as CompactOp[]).map((o) => o[3])) };
}

test('parts keep arrival order: runs of one shape sorted by object id, other ops as standard ops, CLEARs, MOVEs dropped', () => {
  const ops: CompactOp[] = [
    put(1, 'b', 'b1'), put(2, 'a', 'a2'), [3, 1, 1, 'x'], [4, 1, 2], put(5, 'c', 'c5'),
    put(6, 'l2', 'list', 1), [7, 1, 3], put(8, 'd', 'd8'), [9, 1, 0, 's', '{"id":"s","description":"as text"}', 0],
  ];
  const p = prepareCompact({ shapes: SHAPES, ops });
  assert.deepEqual(p.parts.map(shapeOf), [
    { shape: 0, chunks: [['a', 'b']] },
    ['REMOVE x'],
    { shape: 0, chunks: [['c']] },
    { shape: 1, chunks: [['l2']] },
    'CLEAR',
    { shape: 0, chunks: [['d']] },
    ['PUT s'],
  ]);
  const standard = p.parts.at(-1)!;
  assert.ok(standard.kind === 'standard');
  assert.deepEqual(standard.ops[0], { op_id: '9', op: 'PUT', object_type: 'todos', object_id: 's', subkey: null,
    data: '{"id":"s","description":"as text"}', checksum: 1 });
  assert.equal(p.total, 9);
});

test('a long run is cut into sorted chunks of PREPARED_CHUNK_OPS, stable for two ops of one row, with their op id ranges', () => {
  const ops: CompactOp[] = [];
  for (let i = 0; i < 250; i++) ops.push(put(1000 - i, `r${String(i).padStart(3, '0')}`, `v${i}`));
  ops.push(put(2000, 'r005', 'newest'));
  const p = prepareCompact({ shapes: SHAPES, ops });
  assert.equal(p.parts.length, 1);
  const run = p.parts[0]!;
  assert.ok(run.kind === 'run');
  assert.deepEqual(run.chunks.map((c) => c.n), [PREPARED_CHUNK_OPS, PREPARED_CHUNK_OPS, 51]);
  const all = run.chunks.flatMap((c) => parse(c.json) as CompactOp[]);
  assert.deepEqual(all.map((o) => o[3]), [...all.map((o) => o[3] as string)].sort(), 'sorted by object id');
  assert.deepEqual(all.filter((o) => o[3] === 'r005').map((o) => o[0]), [995, 2000], 'arrival order kept for one row');
  for (const c of run.chunks) {
    const ids = (parse(c.json) as CompactOp[]).map((o) => o[0] as number);
    assert.deepEqual([c.lo, c.hi], [Math.min(...ids), Math.max(...ids)]);
  }
  // Grouped for a store step of at least `size` ops: one JSON array, the union of the ranges.
  const whole = groupChunks(run.chunks, 0, 1000);
  assert.equal(whole.next, 3);
  assert.deepEqual(parse(whole.chunk.json), all);
  assert.deepEqual([whole.chunk.lo, whole.chunk.hi, whole.chunk.n], [751, 2000, 251]);
  assert.deepEqual([groupChunks(run.chunks, 0, 1).next, groupChunks(run.chunks, 0, 101).next, groupChunks(run.chunks, 1, 200).next], [1, 2, 3]);
  assert.equal(groupChunks(run.chunks, 0, 1).chunk, run.chunks[0], 'a single chunk is used as it is');
});

test('standard ops are cut at STANDARD_PART_OPS', () => {
  const ops: CompactOp[] = [];
  for (let i = 0; i < STANDARD_PART_OPS + 5; i++) ops.push([i + 1, 1, 1, `x${i}`]);
  assert.deepEqual(prepareCompact({ shapes: SHAPES, ops }).parts.map((p) => p.kind === 'standard' && p.ops.length), [STANDARD_PART_OPS, 5]);
});

test('checksum and count restart at the last CLEAR; the highest op id stays exact above 2^53', () => {
  const ops: CompactOp[] = [put(1, 'a', 'x', 0, 0xffffffff), [2, 7, 3], put(3, 'b', 'y', 0, 0xfffffff0), put(4, 'c', 'z', 0, 0x20)];
  const p = prepareCompact({ shapes: SHAPES, ops });
  assert.deepEqual([p.cleared, p.checksum, p.count, p.total, p.maxOpId], [true, (7 + 0xfffffff0 + 0x20) >>> 0, 3, 4, 4]);
  const noClear = prepareCompact({ shapes: SHAPES, ops: [put(1, 'a', 'x', 0, 5), put(2, 'b', 'y', 0, 6)] });
  assert.deepEqual([noClear.cleared, noClear.checksum, noClear.count], [false, 11, 2]);
  assert.equal(prepareCompact({ shapes: SHAPES, ops: [put('9007199254740993', 'a', 'x'), put(5, 'b', 'y')] }).maxOpId, '9007199254740993');
  assert.equal(prepareCompact({ shapes: SHAPES, ops: [put('3', 'a', 'x'), put(5, 'b', 'y')] }).maxOpId, 5);
  assert.equal(prepareCompact({ shapes: SHAPES, ops: [] }).maxOpId, null);
});

function run(state: SyncState, ...events: SyncEvent[]): SyncState {
  for (const e of events) state = step(state, e).state;
  return state;
}

test('the state machine counts a prepared line (as it crossed threads) exactly as the line as parsed', () => {
  const rows = (ops: CompactOp[]) => ({ rows: { bucket: 'b', after: '0', next_after: '9', has_more: false, ops, shapes: SHAPES } });
  const lines = [rows([put(1, 'a', 'x', 0, 11), put(2, 'b', 'y', 0, 12)]), rows([put(3, 'c', 'z', 0, 13), [4, 14, 3], put(5, 'a', 'w', 0, 15)])];
  const start = run(initialState({}, true), { type: 'start' }, { type: 'opened' },
    { type: 'line', line: parseLine({ checkpoint: { last_op_id: '5', buckets: [{ bucket: 'b', checksum: 0, count: 0 }] } }) });
  const parsed = run(start, ...lines.map((v): SyncEvent => ({ type: 'line', line: parseLine(v) })));
  const prepared = run(start, ...lines.map((v): SyncEvent => ({ type: 'line', line: structuredClone(prepareLine(parseLine(v))) })));
  assert.deepEqual(prepared.buckets, parsed.buckets);
  assert.deepEqual(prepared.buckets['b'], { after: '9', checksum: 29, count: 2 });
  assert.equal(prepared.opsReceived, 5);
  assert.equal(prepared.opsReceived, parsed.opsReceived);
  // An op beyond the checkpoint is refused in either form.
  const beyond = rows([put(1, 'a', 'x'), put(6, 'b', 'y')]);
  for (const line of [parseLine(beyond), prepareLine(parseLine(beyond))]) {
    assert.match(String(step(start, { type: 'line', line }).state.lastError), /op 6 of b is beyond checkpoint 5/);
  }
});
