// P4 page (BENCHMARKS.md): one first sync with the Syncline web SDK, timed inside the page.
// Driven by p4-first-sync.mjs through window.p4. No watches: the page reads nothing while syncing,
// so the time is the SDK's own (download, parse, store ops, apply rows) and not a UI's.
// ?dist=dist-before loads another build of the SDK beside dist/ (A/B runs of two builds, same page).
const dist = new URLSearchParams(location.search).get('dist') ?? 'dist';
if (!/^dist(-[a-z0-9]+)?$/.test(dist)) throw new Error(`bad dist ${dist}`);
const { Schema, SynclineDatabase } = await import(`../${dist}/index.js`);

const schema = new Schema({
  lists: { columns: { name: 'text', owner_id: 'text' } },
  todos: { columns: { list_id: 'text', description: 'text', done: 'integer', n: 'integer' } },
});

/**
 * Opens a fresh database (init is not timed: it loads the wasm and opens OPFS), then times
 * connect() → first full checkpoint applied (status.lastSyncedAt set) → count(*) of todos reaches
 * `expected`. Returns milliseconds from performance.now(), which Chromium coarsens to 0.1 ms.
 */
async function firstSync({ endpoint, token, dbName, expected, timeoutMs, queries = false }) {
  const db = new SynclineDatabase({ schema, dbName, storage: 'auto' });
  const init = await db.init();
  let t0 = 0;
  let firstDataMs = null;
  let lastDataMs = null;
  let received = 0;
  const checkpoint = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no complete checkpoint after ${timeoutMs} ms`)), timeoutMs);
    db.onStatus((s) => {
      // Phases for the profile: the worker reports downloading {received, total} after each stored
      // data line while ops are missing, and null once all are stored.
      if (s.downloading !== null) {
        if (s.downloading.received > 0) firstDataMs ??= performance.now() - t0;
        lastDataMs = performance.now() - t0;
        received = s.downloading.received;
      }
      if (s.lastSyncedAt !== null) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  // queries (P6 during a first sync): point queries by primary key one after another from connect()
  // until the checkpoint is applied; their latencies page → worker → page.
  let synced = false;
  const times = [];
  const querying = queries ? (async () => {
    for (let i = 0; !synced; i++) {
      const q0 = performance.now();
      await db.getAll('SELECT * FROM todos WHERE id = ?', [`b${1 + ((i * 7919) % expected)}`]);
      const q1 = performance.now();
      times.push(q1 - q0);
      // In a --trace run, a slow query shows as a user timing span beside the threads' tasks.
      if (q1 - q0 > 2) performance.measure('slow query', { start: q0, end: q1 });
    }
  })() : null;
  t0 = performance.now();
  await db.connect({ endpoint, fetchCredentials: async () => ({ token }) });
  await checkpoint;
  const checkpointMs = performance.now() - t0;
  synced = true;
  await querying;
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
  const sorted = times.sort((a, b) => a - b);
  const at = (p) => (sorted.length === 0 ? null : Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] * 10) / 10);
  return { storage: init.storage, warning: init.warning, checkpointMs, totalMs, count,
    phases: { firstDataMs, lastDataMs, lastReceived: received },
    ...(queries ? { queries: { n: sorted.length, p50: at(0.5), p99: at(0.99), max: at(1), over2ms: sorted.filter((t) => t > 2).length } } : {}) };
}

/**
 * Profile probe: the same request the SDK's worker sends, read and JSON.parse'd line by line in the
 * page, stored nowhere, until the first checkpoint_complete. Download + parse without SQLite.
 */
async function downloadOnly({ endpoint, token, standard = false }) {
  const t0 = performance.now();
  const response = await fetch(`${endpoint}/sync/stream`, {
    method: 'POST',
    // The SDK's own Accept: compact rows from our server, standard NDJSON from any other.
    // standard: what a client that knows no compact rows gets (the A/B of the wire formats).
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json',
      accept: standard ? 'application/x-ndjson' : 'application/vnd.syncline.compact+ndjson, application/x-ndjson;q=0.5' },
    body: JSON.stringify({ buckets: [], client_id: 'p4-probe', include_checksum: true, raw_data: true, parameters: {} }),
  });
  const headersMs = performance.now() - t0;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let firstByteMs = null;
  let firstDataMs = null;
  let buffer = '';
  let ops = 0;
  let lines = 0;
  let bytes = 0;
  let parseMs = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error('stream ended before checkpoint_complete');
    firstByteMs ??= performance.now() - t0;
    bytes += value.length;
    buffer += value;
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line.length === 0) continue;
      const p0 = performance.now();
      const msg = JSON.parse(line);
      lines++;
      parseMs += performance.now() - p0;
      if (msg.data) ops += msg.data.data.length;
      if (msg.rows) ops += msg.rows.ops.length;
      if ((msg.data || msg.rows) && firstDataMs === null) firstDataMs = performance.now() - t0;
      if (msg.checkpoint_complete) {
        await reader.cancel();
        return { ms: performance.now() - t0, headersMs, firstByteMs, firstDataMs, parseMs, ops, lines, chars: bytes };
      }
    }
  }
}

window.p4 = { firstSync, downloadOnly };
