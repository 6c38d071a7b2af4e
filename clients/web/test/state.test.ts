// The sync state machine's connection handling: positions sent, backoff, credentials, online/offline.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseLine } from '../src/protocol/lines.js';
import { BACKOFF_MAX_MS, backoffMs, initialState, step, type SyncAction, type SyncEvent, type SyncState } from '../src/sync/state.js';

function run(state: SyncState, ...events: SyncEvent[]): { state: SyncState; actions: SyncAction[] } {
  const actions: SyncAction[] = [];
  for (const e of events) {
    const r = step(state, e);
    state = r.state;
    actions.push(...r.actions);
  }
  return { state, actions };
}

const line = (v: unknown): SyncEvent => ({ type: 'line', line: parseLine(v) });

test('opening sends every stored bucket position, sorted by name', () => {
  const s = initialState({ b: { after: '7', checksum: 1, count: 1 }, a: { after: '12', checksum: 2, count: 1 } }, true);
  const { actions } = run(s, { type: 'start' });
  assert.deepEqual(actions, [{ type: 'open', buckets: [{ name: 'a', after: '12' }, { name: 'b', after: '7' }], refreshCredentials: false }]);
});

test('backoff grows exponentially, is jittered into [50 %, 100 %] and capped', () => {
  assert.equal(backoffMs(0, 0), 250);
  assert.equal(backoffMs(0, 0.999), 500);
  assert.equal(backoffMs(3, 0), 2000);
  assert.ok(backoffMs(30, 0.999) <= BACKOFF_MAX_MS);
  assert.ok(backoffMs(30, 0) >= BACKOFF_MAX_MS / 2);
});

test('a failed stream schedules a retry with growing delays, and a completed checkpoint resets them', () => {
  let { state, actions } = run(initialState({}, true), { type: 'start' }, { type: 'streamFailed', status: 503, message: 'busy', jitter: 0 });
  assert.deepEqual(actions.at(-1), { type: 'schedule', delayMs: 250 });
  assert.equal(state.lastError, 'busy');
  ({ state, actions } = run(state, { type: 'retry' }, { type: 'streamFailed', status: null, message: 'reset', jitter: 0 }));
  assert.deepEqual(actions.at(-1), { type: 'schedule', delayMs: 500 });
  ({ state } = run(state, { type: 'retry' }, { type: 'opened' }, line({ checkpoint: { last_op_id: '1', buckets: [] } }), line({ checkpoint_complete: { last_op_id: '1' } })));
  assert.equal(state.attempt, 0);
  assert.equal(state.lastError, null);
  assert.equal(state.completedOpId, '1');
});

test('401 makes the next open fetch fresh credentials', () => {
  const { actions } = run(initialState({}, true), { type: 'start' }, { type: 'streamFailed', status: 401, message: 'expired', jitter: 0 }, { type: 'retry' });
  assert.deepEqual(actions.at(-1), { type: 'open', buckets: [], refreshCredentials: true });
});

test('token_expires_in: prefetch at 30 s or less, reconnect with a fresh token at 0', () => {
  let { state, actions } = run(initialState({}, true), { type: 'start' }, { type: 'opened' }, line({ token_expires_in: 60 }));
  assert.deepEqual(actions.slice(1), []);
  ({ state, actions } = run(state, line({ token_expires_in: 20 })));
  assert.deepEqual(actions, [{ type: 'prefetchCredentials' }]);
  ({ state, actions } = run(state, line({ token_expires_in: 0 }), { type: 'streamEnded', jitter: 0 }, { type: 'retry' }));
  assert.deepEqual(actions, [{ type: 'close' }, { type: 'schedule', delayMs: 0 }, { type: 'open', buckets: [], refreshCredentials: true }]);
});

test('offline closes the stream and stops retrying; online reconnects at once', () => {
  let { state, actions } = run(initialState({}, true), { type: 'start' }, { type: 'opened' }, { type: 'online', online: false, jitter: 0 });
  assert.deepEqual(actions.at(-1), { type: 'close' });
  assert.equal(state.connection, 'disconnected');
  ({ state, actions } = run(state, { type: 'streamFailed', status: null, message: 'aborted', jitter: 0 }, { type: 'retry' }));
  assert.deepEqual(actions, []);
  ({ state, actions } = run(state, { type: 'online', online: true, jitter: 0 }));
  assert.equal(actions[0]?.type, 'open');
});

test('data for a bucket outside the checkpoint ends the session instead of being stored', () => {
  const { actions } = run(initialState({}, true), { type: 'start' }, { type: 'opened' },
    line({ checkpoint: { last_op_id: '5', buckets: [{ bucket: 'a', checksum: 0, count: 0 }] } }),
    line({ data: { bucket: 'b', after: '0', next_after: '1', has_more: false, data: [] } }));
  assert.deepEqual(actions.map((a) => a.type).slice(1), ['protocolError', 'close', 'schedule']);
});

test('a number where an op id string is expected is refused', () => {
  assert.throws(() => parseLine({ checkpoint_complete: { last_op_id: 5 } }), /decimal op id string/);
});

test('downloads wait while uploads are pending, and until the write checkpoint of the upload arrives', () => {
  const cp = (id: string, wc?: string) => line({ checkpoint_diff: { last_op_id: id, ...(wc ? { write_checkpoint: wc } : {}), updated_buckets: [], removed_buckets: [] } });
  const done = (id: string) => line({ checkpoint_complete: { last_op_id: id } });
  let { state, actions } = run(initialState({}, true), { type: 'start' }, { type: 'opened' }, line({ checkpoint: { last_op_id: '1', buckets: [] } }), { type: 'localWrite' }, done('1'));
  assert.equal((actions.at(-1) as { applyRows: boolean }).applyRows, false);
  ({ state, actions } = run(state, { type: 'uploaded', writeCheckpoint: '9' }, cp('2', '8'), done('2')));
  assert.equal((actions.at(-1) as { applyRows: boolean }).applyRows, false);
  ({ state, actions } = run(state, cp('3', '9'), done('3')));
  assert.equal((actions.at(-1) as { applyRows: boolean }).applyRows, true);
  assert.equal(state.awaitingWriteCheckpoint, null);
});

test('a write checkpoint that came back before the upload answer was handled still releases the held rows', () => {
  const diff = (id: string, wc: string) => line({ checkpoint_diff: { last_op_id: id, write_checkpoint: wc, updated_buckets: [], removed_buckets: [] } });
  let { state, actions } = run(initialState({}, true), { type: 'start' }, { type: 'opened' }, line({ checkpoint: { last_op_id: '1', buckets: [] } }),
    line({ checkpoint_complete: { last_op_id: '1' } }), { type: 'localWrite' }, diff('2', '7'), line({ checkpoint_complete: { last_op_id: '2' } }));
  assert.equal((actions.at(-1) as { applyRows: boolean }).applyRows, false);
  ({ state, actions } = run(state, { type: 'uploaded', writeCheckpoint: '7' }));
  assert.deepEqual(actions, [{ type: 'apply', lastOpId: '2', buckets: [], priority: null, applyRows: true, positions: null }]);
  assert.equal(state.awaitingWriteCheckpoint, null);
  // …but not while a newer checkpoint's data is still arriving (its completion applies instead).
  ({ state, actions } = run(state, { type: 'localWrite' }, diff('3', '8'), { type: 'uploaded', writeCheckpoint: '7' }));
  assert.deepEqual(actions, []);
});
