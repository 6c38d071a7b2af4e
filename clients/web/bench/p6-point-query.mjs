// P6 (BENCHMARKS.md): point-query latency page → worker → SQLite (opfs-sahpool) → page, in Chromium.
// 100k rows in a plain table, then N lookups by primary key from the page, one at a time.
// Usage: npm run build && node bench/p6-point-query.mjs [iterations=5000] [rows=100000]
import { serve } from './static-server.mjs';
import { openUserBrowser } from './user-browser.mjs';

const iterations = Number(process.argv[2] ?? 5000);
const rows = Number(process.argv[3] ?? 100000);
const { server, origin } = await serve();
// A fresh on-disk profile, as a user's browser (user-browser.mjs says why not an incognito context).
const browser = await openUserBrowser({ incognito: process.env.INCOGNITO === '1' });
try {
  const { page } = browser;
  await page.goto(`${origin}/test-pages/sdk.html?connect=0&db=p6.db`);
  await page.waitForFunction(() => window.sl && (window.sl.ready || window.sl.errors.length > 0));
  const result = await page.evaluate(async ({ iterations, rows, process_cache }) => {
    const { sl } = window;
    if (sl.errors.length > 0) throw new Error(sl.errors.join('\n'));
    await sl.exec('CREATE TABLE IF NOT EXISTS bench (id TEXT PRIMARY KEY, name TEXT, n INTEGER)');
    await sl.exec(`INSERT OR REPLACE INTO bench (id, name, n) WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?)
                   SELECT 'row-' || i, 'name ' || i, i FROM c`, [rows]);
    if (process_cache) await sl.exec(`PRAGMA cache_size = ${process_cache}`);
    await sl.pointQueryLatency(500); // warm-up
    return { storage: sl.storage, ...(await sl.pointQueryLatency(iterations)) };
  }, { iterations, rows, process_cache: process.env.CACHE ?? null });
  const fmt = (ms) => ms.toFixed(3);
  console.log(`P6 point query (${result.storage}, ${rows} rows, ${result.n} lookups): p50 ${fmt(result.p50)} ms, p99 ${fmt(result.p99)} ms, max ${fmt(result.max)} ms`);
} finally {
  await browser.close();
  server.close();
}
