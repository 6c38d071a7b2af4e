// Sync Streams on the client: the request, the subscription table's TTL rules, resolving a
// checkpoint's streams and bucket reasons, and the state machine's reconnect on a new request.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseLine } from '../src/protocol/lines.js';
import * as subs from '../src/storage/stream-subscriptions.js';
import { createTables } from '../src/storage/internal-tables.js';
import { Schema } from '../src/storage/schema.js';
import { initialState, step, type SyncEvent, type SyncState } from '../src/sync/state.js';
import { nextExpiry, resolve, streamRequest, streamStatus, subscriptionKey, syncedBy } from '../src/sync/streams.js';
import { memoryDb } from './sqlite.js';

async function db() {
  const d = await memoryDb();
  createTables(d, new Schema({ todos: { columns: { list_id: 'text' } } }), () => 'client');
  return d;
}

test('subscribe records a TTL; the request names every explicit subscription in row order', async () => {
  const d = await db();
  subs.subscribe(d, 'list_todos', '{"list_id":"l1"}', 60, null, 1000);
  subs.subscribe(d, 'list_todos', '{"list_id":"l2"}', 1, 1, 1000);
  subs.subscribe(d, 'list_todos', '{"list_id":"l2"}', 1, 3, 1000); // a later, lower priority does not lower it
  const rows = subs.loadSubscriptions(d);
  assert.equal(rows.length, 2);
  assert.deepEqual(streamRequest(rows).body, {
    include_defaults: true,
    subscriptions: [
      { stream: 'list_todos', parameters: { list_id: 'l1' }, override_priority: null },
      { stream: 'list_todos', parameters: { list_id: 'l2' }, override_priority: 1 },
    ],
  });
  assert.equal(rows[0]!.expiresAt, 61_000);
});

test('a released subscription stays until its TTL ran out; a held one is extended', async () => {
  const d = await db();
  subs.subscribe(d, 'a', 'null', 10, null, 0);
  subs.subscribe(d, 'b', 'null', 10, null, 0);
  const held = new Set([subscriptionKey('a', 'null')]);
  subs.release(d, 'b', 'null', 5_000);
  assert.equal(nextExpiry(subs.loadSubscriptions(d), held), 15_000);
  subs.extendHeld(d, held, 14_000);
  subs.deleteOutdated(d, 15_000);
  assert.deepEqual(subs.loadSubscriptions(d).map((r) => r.name), ['a', 'b']);
  subs.deleteOutdated(d, 15_001);
  assert.deepEqual(subs.loadSubscriptions(d).map((r) => r.name), ['a']);
  assert.equal(subs.loadSubscriptions(d)[0]!.expiresAt, 24_000);
  subs.unsubscribeAll(d, 'a', 'null');
  subs.deleteOutdated(d, 15_002);
  assert.deepEqual(subs.loadSubscriptions(d), []);
});

test('a checkpoint tracks default streams, maps bucket reasons and errors, and marks synced by priority', async () => {
  const d = await db();
  subs.subscribe(d, 'list_todos', '{"list_id":"l1"}', 60, null, 0);
  subs.subscribe(d, 'nope', 'null', 60, null, 0);
  const requested = streamRequest(subs.loadSubscriptions(d)).ids;
  const line = parseLine({
    checkpoint: {
      last_op_id: '9',
      buckets: [
        { bucket: 'my_lists|0["alice"]', checksum: 1, count: 2, priority: 1, subscriptions: [{ default: 0 }] },
        { bucket: 'list_todos|0["l1"]', checksum: 2, count: 3, priority: 3, subscriptions: [{ sub: 0 }] },
      ],
      streams: [
        { name: 'my_lists', is_default: true, errors: [] },
        { name: 'list_todos', is_default: false, errors: [] },
        { name: 'nope', is_default: false, errors: [{ subscription: 1, message: "R4003: unknown stream 'nope'" }] },
      ],
    },
  });
  assert.equal(line.kind, 'checkpoint');
  if (line.kind !== 'checkpoint') return;
  subs.trackServerStreams(d, line.streams!);
  const rows = subs.loadSubscriptions(d);
  assert.deepEqual(rows.map((r) => [r.name, r.active, r.isDefault, r.ttl !== null]), [
    ['list_todos', true, false, true], ['nope', true, false, true], ['my_lists', true, true, false],
  ]);
  const resolution = resolve(rows, requested, line.streams, line.buckets);
  const status = (name: string) => streamStatus(rows.find((r) => r.name === name)!, resolution, {}, false);
  assert.equal(status('my_lists').priority, 1);
  assert.equal(status('list_todos').priority, 3);
  assert.deepEqual(status('nope').errors, ["R4003: unknown stream 'nope'"]);
  const name = (id: number) => rows.find((r) => r.id === id)!.name;
  assert.deepEqual(syncedBy(rows, requested, resolution, 1).map(name), ['my_lists']);
  assert.deepEqual(syncedBy(rows, requested, resolution, null).map(name).sort(), ['list_todos', 'my_lists']);

  // The next connection no longer lists my_lists: its default row goes.
  subs.trackServerStreams(d, [{ name: 'list_todos', is_default: false, errors: [] }]);
  assert.deepEqual(subs.loadSubscriptions(d).map((r) => [r.name, r.active]), [['list_todos', true], ['nope', false]]);
});

test('resubscribe replaces an open stream at once and does nothing while disconnected', () => {
  const run = (s: SyncState, ...events: SyncEvent[]) => events.reduce((acc, e) => {
    const r = step(acc.state, e);
    return { state: r.state, actions: [...acc.actions, ...r.actions] };
  }, { state: s, actions: [] as ReturnType<typeof step>['actions'] });
  assert.deepEqual(run(initialState({}, true), { type: 'resubscribe' }).actions, []);
  const { state } = run(initialState({ b: { after: '4', checksum: 0, count: 0 } }, true), { type: 'start' }, { type: 'opened' });
  assert.deepEqual(run(state, { type: 'resubscribe' }).actions, [
    { type: 'close' }, { type: 'open', buckets: [{ name: 'b', after: '4' }], refreshCredentials: false },
  ]);
});
