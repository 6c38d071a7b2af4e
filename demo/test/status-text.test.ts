import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SyncStatus } from '@syncline/web';
import { statusParts } from '../src/status-text.js';

const base: SyncStatus = {
  connected: true, connecting: false, downloading: null, uploading: false, pendingUploads: 0,
  hasSynced: true, lastSyncedAt: 1_000, lastError: null, online: true,
};

test('connected and idle', () => {
  assert.deepEqual(statusParts(base, 1_500), {
    connection: 'connected', tone: 'ok', download: 'idle', upload: 'all sent', lastSynced: 'just now', lastError: 'none',
  });
});

test('offline wins over a stale connected flag; queued writes and the last error show', () => {
  const p = statusParts({ ...base, online: false, connected: false, pendingUploads: 3, lastError: 'HTTP 503' }, 91_000);
  assert.equal(p.connection, 'offline');
  assert.equal(p.tone, 'off');
  assert.equal(p.upload, '3 waiting');
  assert.equal(p.lastSynced, '2 min ago');
  assert.equal(p.lastError, 'HTTP 503');
});

test('download progress and uploading', () => {
  const p = statusParts({ ...base, downloading: { received: 40, total: 100 }, uploading: true, pendingUploads: 1 }, 1_000);
  assert.equal(p.download, '40 of 100 ops');
  assert.equal(p.upload, 'uploading (1 waiting)');
});
