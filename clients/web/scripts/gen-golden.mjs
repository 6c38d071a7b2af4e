// Writes the golden sync sequences shared with the Java GoldenSequencesTest. Edit here, run
// `node scripts/gen-golden.mjs`, review the JSON diff.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const OUT = fileURLToPath(new URL('../../../protocol/src/test/resources/sync-golden/', import.meta.url));
const schema = { lists: { columns: { name: 'text', owner_id: 'text' } }, todos: { columns: { list_id: 'text', description: 'text', done: 'integer' } } };
const list = (id, name) => ({ id, name, owner_id: 'alice' });
const todo = (id, description, done = 0, list_id = 'l1') => ({ id, list_id, description, done });
const put = (op_id, type, row, checksum) => ({ op_id: String(op_id), op: 'PUT', object_type: type, object_id: row.id, subkey: `s-${row.id}`, data: JSON.stringify(row), checksum });
const remove = (op_id, type, id, checksum) => ({ op_id: String(op_id), op: 'REMOVE', object_type: type, object_id: id, subkey: `s-${id}`, checksum });
const move = (op_id, checksum) => ({ op_id: String(op_id), op: 'MOVE', checksum });
const clear = (op_id, checksum) => ({ op_id: String(op_id), op: 'CLEAR', checksum });
const bucket = (bucket, checksum, count, priority) => priority === undefined ? { bucket, checksum, count } : { bucket, checksum, count, priority };
const checkpoint = (last, buckets, wc) => ({ line: { checkpoint: { last_op_id: String(last), ...(wc ? { write_checkpoint: String(wc) } : {}), buckets } } });
const diff = (last, updated, removed, wc) => ({ line: { checkpoint_diff: { last_op_id: String(last), ...(wc ? { write_checkpoint: String(wc) } : {}), updated_buckets: updated, removed_buckets: removed } } });
const data = (b, after, next_after, ops, has_more = false) => ({ line: { data: { bucket: b, after: String(after), next_after: String(next_after), has_more, data: ops } } });
const complete = (last) => ({ line: { checkpoint_complete: { last_op_id: String(last) } } });
const partial = (last, priority) => ({ line: { partial_checkpoint_complete: { last_op_id: String(last), priority } } });
const rowsOf = (...rs) => Object.fromEntries(rs.map((r) => [r.id, JSON.stringify(r)]));
const A = 'user_lists["l1"]', B = 'user_lists["l2"]';
const fixtures = {
  'initial-sync': {
    description: 'First sync of two buckets, one of them over two data lines; the second bucket checksum wraps past 2^32.',
    steps: [
      checkpoint(5, [bucket(A, 60, 3), bucket(B, 5, 2)]),
      data(A, 0, 2, [put(1, 'lists', list('l1', 'Shared'), 10), put(2, 'todos', todo('t1', 'Milk'), 20)], true),
      data(A, 2, 4, [put(4, 'todos', todo('t2', 'Eggs'), 30)]),
      data(B, 0, 5, [put(3, 'lists', list('l2', 'Mine'), 4294967295), put(5, 'todos', todo('t3', 'Report', 1, 'l2'), 6)]),
      { expect: { tables: { lists: [], todos: [] } } },
      complete(5),
    ],
    expect: {
      rows: { [A]: rowsOf(list('l1', 'Shared'), todo('t1', 'Milk'), todo('t2', 'Eggs')), [B]: rowsOf(list('l2', 'Mine'), todo('t3', 'Report', 1, 'l2')) },
      tables: { lists: [list('l1', 'Shared'), list('l2', 'Mine')], todos: [todo('t1', 'Milk'), todo('t2', 'Eggs'), todo('t3', 'Report', 1, 'l2')] },
    },
  },
  'diff-removed-bucket': {
    description: 'A checkpoint_diff removes one bucket (its rows disappear) and updates a row of another (its checksum counts the superseded PUT too).',
    steps: [
      checkpoint(3, [bucket(A, 30, 2), bucket(B, 5, 1)]),
      data(A, 0, 2, [put(1, 'lists', list('l1', 'Shared'), 10), put(2, 'todos', todo('t1', 'Milk'), 20)]),
      data(B, 0, 3, [put(3, 'lists', list('l2', 'Mine'), 5)]),
      complete(3),
      { expect: { tables: { lists: [list('l1', 'Shared'), list('l2', 'Mine')], todos: [todo('t1', 'Milk')] } } },
      diff(5, [bucket(A, 37, 3)], [B]),
      data(A, 3, 4, [put(4, 'todos', todo('t1', 'Milk', 1), 7)]),
      complete(5),
    ],
    expect: {
      rows: { [A]: rowsOf(list('l1', 'Shared'), todo('t1', 'Milk', 1)) },
      tables: { lists: [list('l1', 'Shared')], todos: [todo('t1', 'Milk', 1)] },
    },
  },
  'remove-move-clear': {
    description: 'REMOVE deletes a row, MOVE only adds its checksum, CLEAR drops the bucket and replaces its running checksum.',
    steps: [
      checkpoint(4, [bucket(A, 375, 4)]),
      data(A, 0, 4, [put(1, 'todos', todo('t1', 'Milk'), 100), put(2, 'todos', todo('t2', 'Eggs'), 200), remove(3, 'todos', 't1', 50), move(4, 25)]),
      complete(4),
      { expect: { rows: { [A]: rowsOf(todo('t2', 'Eggs')) }, tables: { lists: [], todos: [todo('t2', 'Eggs')] } } },
      diff(7, [bucket(A, 1033, 3)], []),
      data(A, 4, 7, [clear(5, 1000), put(6, 'todos', todo('t3', 'Bread'), 11), put(7, 'todos', todo('t2', 'Eggs', 1), 22)]),
      complete(7),
    ],
    expect: {
      rows: { [A]: rowsOf(todo('t3', 'Bread'), todo('t2', 'Eggs', 1)) },
      tables: { lists: [], todos: [todo('t2', 'Eggs', 1), todo('t3', 'Bread')] },
    },
  },
  'checksum-mismatch-reset': {
    description: 'A bucket whose ops do not add up to the checkpoint checksum is dropped, nothing is applied, and the next connection downloads it again from 0.',
    steps: [
      checkpoint(2, [bucket(A, 30, 2)]),
      data(A, 0, 2, [put(1, 'todos', todo('t1', 'Milk'), 10), put(2, 'todos', todo('t2', 'Eggs'), 15)]),
      complete(2),
      { expect: { checksum_mismatch: [A], rows: {}, tables: { lists: [], todos: [] } } },
      { event: 'reconnect', expect_request: [] },
      checkpoint(2, [bucket(A, 30, 2)]),
      data(A, 0, 2, [put(1, 'todos', todo('t1', 'Milk'), 10), put(2, 'todos', todo('t2', 'Eggs'), 20)]),
      complete(2),
    ],
    expect: {
      checksum_mismatch: [A],
      rows: { [A]: rowsOf(todo('t1', 'Milk'), todo('t2', 'Eggs')) },
      tables: { lists: [], todos: [todo('t1', 'Milk'), todo('t2', 'Eggs')] },
    },
  },
  'partial-priority': {
    description: 'A priority-1 bucket is applied at partial_checkpoint_complete before the priority-3 bucket has arrived.',
    steps: [
      checkpoint(3, [bucket('lists["l1"]', 5, 1, 1), bucket(A, 7, 1)]),
      data('lists["l1"]', 0, 1, [put(1, 'lists', list('l1', 'Shared'), 5)]),
      partial(3, 1),
      { expect: { tables: { lists: [list('l1', 'Shared')], todos: [] } } },
      data(A, 0, 3, [put(3, 'todos', todo('t1', 'Milk'), 7)]),
      complete(3),
    ],
    expect: {
      rows: { 'lists["l1"]': rowsOf(list('l1', 'Shared')), [A]: rowsOf(todo('t1', 'Milk')) },
      tables: { lists: [list('l1', 'Shared')], todos: [todo('t1', 'Milk')] },
    },
  },
  'write-checkpoint-gating': {
    description: 'Local writes stay visible until a checkpoint reaches the write checkpoint of their upload; then every touched row is re-derived from the server state, so the write the server refused (t8) is reverted.',
    steps: [
      checkpoint(2, [bucket(A, 30, 2)]),
      data(A, 0, 2, [put(1, 'lists', list('l1', 'Shared'), 10), put(2, 'todos', todo('t1', 'Milk'), 20)]),
      complete(2),
      { local: "INSERT INTO todos (id, list_id, description, done) VALUES ('t9', 'l1', 'Local', 0)" },
      { local: "INSERT INTO todos (id, list_id, description, done) VALUES ('t8', 'l1', 'Refused', 0)" },
      diff(3, [bucket(A, 70, 3)], [], 1),
      data(A, 2, 3, [put(3, 'todos', todo('t9', 'Local (server)'), 40)]),
      complete(3),
      { expect: { tables: { lists: [list('l1', 'Shared')], todos: [todo('t1', 'Milk'), todo('t8', 'Refused'), todo('t9', 'Local')] } } },
      { event: 'uploaded', write_checkpoint: '4' },
      diff(4, [], [], 3),
      complete(4),
      { expect: { tables: { lists: [list('l1', 'Shared')], todos: [todo('t1', 'Milk'), todo('t8', 'Refused'), todo('t9', 'Local')] } } },
      diff(5, [], [], 4),
      complete(5),
    ],
    expect: {
      write_checkpoint: '4',
      rows: { [A]: rowsOf(list('l1', 'Shared'), todo('t1', 'Milk'), todo('t9', 'Local (server)')) },
      tables: { lists: [list('l1', 'Shared')], todos: [todo('t1', 'Milk'), todo('t9', 'Local (server)')] },
    },
  },
};
for (const [name, f] of Object.entries(fixtures)) {
  writeFileSync(`${OUT}${name}.json`, JSON.stringify({ description: f.description, schema, steps: f.steps, expect: f.expect }, null, 1) + '\n');
}
