// Durability check of the staged download, in Chromium on OPFS: the tab is killed in the middle of
// a first download (closed without the SDK's close(), so its worker is terminated wherever it is),
// a reload shows nothing of the unfinished checkpoint, the next connection resumes after the staged
// lines (no re-download, no checksum mismatch), and after the tab is killed again once the
// checkpoint completed, a reload offline shows all of it. (CDP's Page.crash left this Chromium
// unable to open another tab, so the kill is a close.)
// A stand-in /sync/stream (no server, no PostgreSQL) serves one bucket of ROWS todos; the first
// request gets the checkpoint and STALL_LINES data lines and then nothing more.
//   npm run build && node test-pages/crash-resume.mjs     → prints the checks, exit 0 when all pass
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { chromium } from 'playwright-core';
import { serve } from '../bench/static-server.mjs';

const ROWS = 5000;
const LINE = 500;
const STALL_LINES = 4;
const BUCKET = 'user_todos["alice"]';
const checksumOf = (i) => Math.imul(i + 1, 2654435761) >>> 0;
let total = 0;
for (let i = 0; i < ROWS; i++) total = (total + checksumOf(i)) >>> 0;

function dataLine(start) {
  const end = Math.min(ROWS, start + LINE);
  const data = [];
  for (let i = start; i < end; i++) {
    const id = `t${String(i).padStart(5, '0')}`;
    data.push({ op_id: String(i + 1), op: 'PUT', object_type: 'todos', object_id: id,
      data: JSON.stringify({ id, list_id: 'l1', description: `todo ${i}`, done: 0 }), checksum: checksumOf(i) });
  }
  return JSON.stringify({ data: { bucket: BUCKET, data, has_more: end < ROWS, after: String(start), next_after: String(end) } }) + '\n';
}

const requests = [];
const cors = { 'access-control-allow-origin': '*', 'access-control-allow-methods': 'POST, OPTIONS', 'access-control-allow-headers': 'authorization, content-type, accept' };
const stream = createServer((req, res) => {
  if (req.method === 'OPTIONS') return res.writeHead(204, cors).end();
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    const after = Number(JSON.parse(body).buckets.find((b) => b.name === BUCKET)?.after ?? 0);
    requests.push(after);
    res.writeHead(200, { ...cors, 'content-type': 'application/x-ndjson' });
    res.on('error', () => {});
    res.write(JSON.stringify({ checkpoint: { last_op_id: String(ROWS), buckets: [{ bucket: BUCKET, checksum: total, count: ROWS }] } }) + '\n');
    const first = requests.length === 1;
    for (let start = after, n = 0; start < ROWS && (!first || n < STALL_LINES); start += LINE, n++) res.write(dataLine(start));
    if (!first) res.write(JSON.stringify({ checkpoint_complete: { last_op_id: String(ROWS) } }) + '\n');
    // The stream stays open, as the real server's does.
  });
});
await new Promise((r) => stream.listen(0, '127.0.0.1', r));
const endpoint = `http://127.0.0.1:${stream.address().port}`;

const { server, origin } = await serve();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const url = (connect) => `${origin}/test-pages/sdk.html?endpoint=${encodeURIComponent(endpoint)}&token=x&db=crash.db&connect=${connect}`;
const count = (p, sql) => p.evaluate(async (q) => (await window.sl.query(q))[0].n, sql);
let code = 0;
const guard = setTimeout(() => {
  console.error('not ok - no result after 120 s');
  process.exit(1);
}, 120_000);
try {
  const context = await browser.newContext();
  const open = async (connect) => {
    const p = await context.newPage();
    p.on('pageerror', (e) => process.stderr.write(`[page error] ${e}\n`));
    // A crashed page's worker may hold the pool's handles a moment longer: the SDK waits up to 3 s.
    await p.goto(url(connect));
    await p.waitForFunction(() => window.sl && (window.sl.ready || window.sl.errors.length > 0), null, { timeout: 30_000 });
    assert.deepEqual(await p.evaluate(() => window.sl.errors), []);
    assert.equal(await p.evaluate(() => window.sl.storage), 'opfs-sahpool');
    return p;
  };
  const crash = (p) => p.close({ runBeforeUnload: false });

  let p = await open(1);
  await p.waitForFunction((n) => (window.sl.status?.downloading?.received ?? 0) >= n, STALL_LINES * LINE, { timeout: 30_000 });
  // Past the worker's 20 ms idle flush, so the lines are committed.
  await p.waitForTimeout(500);
  assert.equal(await count(p, 'SELECT count(*) AS n FROM todos'), 0, 'an unfinished checkpoint is not visible');
  await crash(p);
  console.log('ok - killed the tab mid-download with', STALL_LINES * LINE, 'ops staged');

  p = await open(0);
  assert.deepEqual(await p.evaluate(() => window.sl.firstTodos), [], 'after the kill, a reload shows no row of the unfinished checkpoint');
  // Counted in ops: a line is staged as segments of at most 200 ops.
  assert.equal(await count(p, 'SELECT sum(json_array_length(ops)) AS n FROM sl_staged'), STALL_LINES * LINE, 'the staged lines survived');
  console.log('ok - reload after the kill shows 0 todos; the staged lines survived');
  await p.evaluate(() => window.sl.connect());
  await p.waitForFunction((n) => window.sl.status?.lastSyncedAt != null && window.sl.todos?.length === n, ROWS, { timeout: 60_000 });
  assert.deepEqual(requests, [0, STALL_LINES * LINE], 'the second connection resumed after the staged lines');
  assert.equal(await p.evaluate(() => window.sl.status.lastError), null, 'no checksum mismatch');
  assert.equal(await count(p, 'SELECT count(*) AS n FROM sl_staged'), 0);
  console.log('ok - reconnect resumed after', STALL_LINES * LINE, 'and applied all', ROWS, 'rows');
  await crash(p);

  p = await open(0);
  assert.equal((await p.evaluate(() => window.sl.firstTodos)).length, ROWS, 'the completed checkpoint survives the kill');
  console.log('ok - reload offline after a second kill shows the last complete checkpoint:', ROWS, 'todos');
} catch (e) {
  console.error('not ok -', e.stack ?? e);
  code = 1;
} finally {
  await browser.close();
  server.close();
  stream.closeAllConnections?.();
  stream.close();
}
clearTimeout(guard);
process.exit(code);
