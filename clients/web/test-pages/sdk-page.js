// Test page: opens the SDK with the demo-like schema, watches todos and exposes window.sl for the
// browser driver (drive.mjs) to call and inspect.
import { Schema, SynclineDatabase } from '../dist/index.js';

const params = new URLSearchParams(location.search);
// ?schema=demo: the demo app's tables (server/src/main/resources/demo/schema.sql); default: RunningApp's.
const schema = params.get('schema') === 'demo'
  ? new Schema({
    lists: { columns: { name: 'text', owner_id: 'text' } },
    todos: { columns: { list_id: 'text', description: 'text', completed: 'integer', created_by: 'text' } },
  })
  : new Schema({
    lists: { columns: { name: 'text', owner_id: 'text' } },
    todos: { columns: { list_id: 'text', description: 'text', done: 'integer' } },
  });

const sl = {
  ready: false,
  storage: null,
  warning: null,
  /** Rows of the watched todos query, as last delivered. */
  todos: null,
  todosUpdates: 0,
  firstTodos: null,
  status: null,
  rejected: [],
  errors: [],
  db: null,
  isLeader() {
    return sl.db.isLeader;
  },
  /** Sync Streams: subscription handles by index, and the order streams first completed in. */
  subscriptions: [],
  statusCount: 0,
  /** [{seq, name, parameters}]: seq is the status notification in which hasSynced first showed. */
  firstSynced: [],
  subscribe(name, params = null, options = {}) {
    const entry = { done: false, error: null, sub: null };
    sl.subscriptions.push(entry);
    sl.db.syncStream(name, params).subscribe(options)
      .then((sub) => { entry.sub = sub; return sub.waitForFirstSync(); })
      .then(() => { entry.done = true; }, (e) => { entry.error = String(e && e.message || e); });
    return sl.subscriptions.length - 1;
  },
  /** true once subscription i has synced, the error text if it failed, else false. */
  subscribed(i) {
    const e = sl.subscriptions[i];
    return e.error ?? e.done;
  },
  unsubscribe(i) {
    sl.subscriptions[i].sub.unsubscribe();
    return true;
  },
  streams() {
    return sl.db.status.syncStreams.map((s) => ({ ...s.subscription, priority: s.priority, errors: s.errors, progress: s.progress }));
  },
  forStream(name, parameters = null) {
    return sl.db.currentStatus.forStream({ name, parameters }) ?? null;
  },
  async query(sql, args = []) {
    return sl.db.getAll(sql, args);
  },
  async exec(sql, args = []) {
    return sl.db.execute(sql, args);
  },
  async connect() {
    await sl.db.connect({
      endpoint: params.get('endpoint'),
      fetchCredentials: async () => ({ token: params.get('token') }),
    });
  },
  /**
   * Connects and, until `expectedCount` todos are visible, runs point queries by primary key on a
   * row the database already held, one after another (every 10th answer also counts the todos).
   * Each answer records its latency and the sync's state when it came: 'waiting' (no op of the new
   * checkpoint received yet), 'downloading' (ops received, not all), 'applying' (all received, the
   * new rows not yet visible). Returns the answers by phase and every todo count seen.
   */
  async pointQueriesDuringSync(id, description, expectedCount) {
    const phases = { waiting: [], downloading: [], applying: [] };
    const counts = [];
    let wrong = 0;
    let sawOps = false;
    // Answers that came while the download was between a tenth and nine tenths done: the worker
    // answered between its stores, not only before the first op or after the last.
    let midDownload = 0;
    const connected = sl.connect();
    const started = performance.now();
    for (let i = 0; ; i++) {
      const t0 = performance.now();
      const rows = await sl.db.getAll('SELECT description FROM todos WHERE id = ?', [id]);
      const ms = performance.now() - t0;
      if (rows.length !== 1 || rows[0].description !== description) wrong++;
      const d = sl.status && sl.status.downloading;
      if (d && d.received > 0) sawOps = true;
      if (d && d.received > 0.1 * d.total && d.received < 0.9 * d.total && rows.length === 1 && rows[0].description === description) midDownload++;
      phases[d ? 'downloading' : sawOps ? 'applying' : 'waiting'].push(ms);
      if (i % 10 === 0) {
        const n = (await sl.db.getAll('SELECT count(*) AS n FROM todos'))[0].n;
        if (counts[counts.length - 1] !== n) counts.push(n);
        if (n === expectedCount) break;
      }
      if (performance.now() - started > 120_000) break;
    }
    await connected;
    const summary = (times) => {
      const s = [...times].sort((a, b) => a - b);
      const at = (p) => (s.length === 0 ? null : s[Math.min(s.length - 1, Math.floor(p * s.length))]);
      // over2ms: how many waited longer than P6's p99 bound (p99 ≤ 2 ms means at most 1 % of n).
      return { n: s.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: s.length === 0 ? null : s[s.length - 1],
        over2ms: s.filter((t) => t > 2).length };
    };
    return {
      wrong, counts, midDownload, syncMs: performance.now() - started,
      during: summary([...phases.downloading, ...phases.applying]),
      waiting: summary(phases.waiting), downloading: summary(phases.downloading), applying: summary(phases.applying),
    };
  },
  /** P6: page → worker → SQLite point query latency over n iterations, in ms. */
  async pointQueryLatency(n) {
    const ids = (await sl.db.getAll('SELECT id FROM bench')).map((r) => r.id);
    const times = [];
    for (let i = 0; i < n; i++) {
      const id = ids[(i * 7919) % ids.length];
      const t0 = performance.now();
      await sl.db.getAll('SELECT * FROM bench WHERE id = ?', [id]);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const at = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
    return { n, p50: at(0.5), p99: at(0.99), max: times[times.length - 1] };
  },
};
window.sl = sl;

try {
  const db = new SynclineDatabase({ schema, dbName: params.get('db') ?? 'test.db', storage: params.get('storage') ?? 'auto' });
  sl.db = db;
  const init = await db.init();
  sl.storage = init.storage;
  sl.warning = init.warning;
  db.onStatus((s) => {
    sl.status = s;
    sl.statusCount++;
    // The todos a query sees right after the first status that says hasSynced (a test checks
    // that it is never a checkpoint's partial or missing rows).
    if (s.hasSynced && sl.todosAtHasSynced === undefined) {
      sl.todosAtHasSynced = null;
      db.getAll('SELECT count(*) AS n FROM todos').then((r) => (sl.todosAtHasSynced = r[0].n), (e) => (sl.todosAtHasSynced = String(e)));
    }
    for (const st of s.syncStreams) {
      const seen = sl.firstSynced.some((f) => f.name === st.subscription.name
        && JSON.stringify(f.parameters) === JSON.stringify(st.subscription.parameters));
      if (st.subscription.hasSynced && !seen) {
        sl.firstSynced.push({ seq: sl.statusCount, name: st.subscription.name, parameters: st.subscription.parameters });
      }
    }
  });
  db.onRejected((tx) => sl.rejected.push(tx));
  // Read straight from the local database before any network: what a reload shows offline.
  sl.firstTodos = await db.getAll('SELECT * FROM todos ORDER BY id');
  // ?watch=0: no live query of every todo (a 100k-row sync would ship all of them to the page).
  if (params.get('watch') !== '0') db.watch('SELECT * FROM todos ORDER BY id', [], (rows) => {
    sl.todos = rows;
    sl.todosUpdates++;
    document.getElementById('out').textContent = JSON.stringify(rows, null, 1);
  });
  if (params.get('connect') !== '0') await sl.connect();
  sl.ready = true;
} catch (e) {
  sl.errors.push(String(e && e.stack || e));
  console.error(e);
}
