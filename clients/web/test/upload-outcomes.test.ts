// What the uploader does with each outcome of POST /api/upload.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decide, parseOutcomes } from '../src/sync/upload-outcomes.js';

test('applied, duplicate and rejected transactions leave the queue; rejected ones are reported', () => {
  const outcomes = parseOutcomes({ transactions: [
    { tx_id: 1, status: 'applied' }, { tx_id: 2, status: 'duplicate' }, { tx_id: 3, status: 'rejected', code: 'UPLOAD_R1', message: 'RLS' },
  ] });
  assert.deepEqual(decide([1, 2, 3], outcomes), { done: [1, 2, 3], rejected: [{ tx_id: 3, status: 'rejected', code: 'UPLOAD_R1', message: 'RLS' }], retry: false });
});

test('the first retryable (or missing) transaction stops the batch so order is kept', () => {
  const outcomes = parseOutcomes({ transactions: [{ tx_id: 1, status: 'applied' }, { tx_id: 2, status: 'retryable' }, { tx_id: 3, status: 'applied' }] });
  assert.deepEqual(decide([1, 2, 3], outcomes), { done: [1], rejected: [], retry: true });
  assert.deepEqual(decide([1, 4], outcomes), { done: [1], rejected: [], retry: true });
});

test('a response without a transactions array or with an unknown status is an error', () => {
  assert.throws(() => parseOutcomes({}), /transactions/);
  assert.throws(() => parseOutcomes({ transactions: [{ tx_id: 1, status: 'maybe' }] }), /known status/);
});
