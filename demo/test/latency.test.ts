import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LatencyTracker } from '../src/latency.js';

const T0 = Date.parse('2026-01-01T10:00:00Z');

test('rows written before the page opened are history, not arrivals', () => {
  const t = new LatencyTracker(T0);
  assert.deepEqual(t.observe('todos', [{ id: 'a', updated_at: '2026-01-01T09:59:00Z' }], T0 + 500), []);
  assert.equal(t.latest(), null);
  assert.equal(t.median(), null);
});

test('a row arriving with a new stamp yields now − updated_at; an unchanged one yields nothing', () => {
  const t = new LatencyTracker(T0);
  t.observe('todos', [{ id: 'a', updated_at: '2026-01-01T09:59:00Z' }], T0);
  const samples = t.observe('todos', [{ id: 'a', updated_at: '2026-01-01T10:00:01.250000Z' }], T0 + 1300);
  assert.deepEqual(samples, [{ table: 'todos', id: 'a', ms: 50 }]);
  assert.deepEqual(t.observe('todos', [{ id: 'a', updated_at: '2026-01-01T10:00:01.250000Z' }], T0 + 9000), []);
  assert.equal(t.count(), 1);
});

test('a local write without a server stamp is not measured until the server copy comes back', () => {
  const t = new LatencyTracker(T0);
  assert.deepEqual(t.observe('todos', [{ id: 'n', updated_at: null }], T0 + 10), []);
  assert.equal(t.observe('todos', [{ id: 'n', updated_at: '2026-01-01T10:00:00.100Z' }], T0 + 180)[0]?.ms, 80);
});

test('median over the recent samples', () => {
  const t = new LatencyTracker(T0);
  for (const [i, ms] of [30, 10, 20, 40].entries()) {
    t.observe('lists', [{ id: `l${i}`, updated_at: new Date(T0 + 1000).toISOString() }], T0 + 1000 + ms);
  }
  assert.equal(t.median(), 25);
  assert.equal(t.latest()?.id, 'l3');
});
