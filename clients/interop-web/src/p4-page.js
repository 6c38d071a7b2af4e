// P4 page (BENCHMARKS.md): one first sync with the stock @powersync/web client (OPFS through
// OPFSCoopSyncVFS, the SDK's own workers), timed inside the page. Driven by p4-first-sync.mjs
// through window.p4; the counterpart of clients/web/bench/p4-page.js.
import { PowerSyncDatabase, Schema, Table, column, WASQLiteVFS, SyncStreamConnectionMethod } from '@powersync/web';

const WORKER_URL = new URL('./@powersync/worker.js', import.meta.url).href;

const schema = new Schema({
  lists: new Table({ name: column.text, owner_id: column.text }),
  todos: new Table({ list_id: column.text, description: column.text, done: column.integer, n: column.integer }),
});

/**
 * Opens a fresh database (init is not timed), then times connect() → waitForFirstSync() →
 * count(*) of todos reaches `expected`. Milliseconds from performance.now().
 */
async function firstSync({ endpoint, token, dbFilename, expected, timeoutMs }) {
  const db = new PowerSyncDatabase({
    schema,
    database: { dbFilename, vfs: WASQLiteVFS.OPFSCoopSyncVFS, worker: WORKER_URL },
    sync: { worker: WORKER_URL },
  });
  await db.init();
  const connector = {
    async fetchCredentials() {
      return { endpoint, token };
    },
    async uploadData() {
      // this page never writes locally
    },
  };
  const t0 = performance.now();
  await db.connect(connector, { connectionMethod: SyncStreamConnectionMethod.HTTP });
  const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error(`no first sync after ${timeoutMs} ms`)), timeoutMs));
  await Promise.race([db.waitForFirstSync(), timeout]);
  const checkpointMs = performance.now() - t0;
  let count = 0;
  for (;;) {
    count = (await db.getAll('SELECT count(*) AS c FROM todos'))[0].c;
    if (count >= expected || performance.now() - t0 > timeoutMs) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const totalMs = performance.now() - t0;
  await db.disconnect().catch(() => {});
  await db.close().catch(() => {});
  return { storage: 'OPFSCoopSyncVFS', checkpointMs, totalMs, count };
}

window.p4 = { firstSync };
