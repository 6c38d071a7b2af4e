// P4 page (BENCHMARKS.md): one first sync with the Syncline web SDK, timed inside the page.
// Driven by p4-first-sync.mjs through window.p4. No watches: the page reads nothing while syncing,
// so the time is the SDK's own (download, parse, store ops, apply rows) and not a UI's.
import { Schema, SynclineDatabase } from '../dist/index.js';

const schema = new Schema({
  lists: { columns: { name: 'text', owner_id: 'text' } },
  todos: { columns: { list_id: 'text', description: 'text', done: 'integer', n: 'integer' } },
});

/**
 * Opens a fresh database (init is not timed: it loads the wasm and opens OPFS), then times
 * connect() → first full checkpoint applied (status.lastSyncedAt set) → count(*) of todos reaches
 * `expected`. Returns milliseconds from performance.now(), which Chromium coarsens to 0.1 ms.
 */
async function firstSync({ endpoint, token, dbName, expected, timeoutMs }) {
  const db = new SynclineDatabase({ schema, dbName, storage: 'auto' });
  const init = await db.init();
  const checkpoint = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no complete checkpoint after ${timeoutMs} ms`)), timeoutMs);
    db.onStatus((s) => {
      if (s.lastSyncedAt !== null) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const t0 = performance.now();
  await db.connect({ endpoint, fetchCredentials: async () => ({ token }) });
  await checkpoint;
  const checkpointMs = performance.now() - t0;
  // The checkpoint's rows are applied in the same transaction that sets lastSyncedAt, so one count
  // normally suffices; the loop only guards against a status delivered before the commit is visible.
  let count = 0;
  for (;;) {
    count = (await db.getAll('SELECT count(*) AS c FROM todos'))[0].c;
    if (count >= expected || performance.now() - t0 > timeoutMs) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const totalMs = performance.now() - t0;
  await db.disconnect().catch(() => {});
  await db.close().catch(() => {});
  return { storage: init.storage, warning: init.warning, checkpointMs, totalMs, count };
}

window.p4 = { firstSync };
