#!/usr/bin/env node
// Runs the stock @powersync/web client in headless Chromium against a Syncline (or PowerSync)
// endpoint: serves dist/ (npm run build) on loopback, opens the test page with playwright-core,
// connects, waits for the first complete sync and prints what the page's SQLite holds.
//
//   node run-browser.mjs --endpoint http://127.0.0.1:8080 --token T \
//        --schema '{"todos":{"description":"text","done":"integer"}}' \
//        [--wait-for 'todos:t9'] [--vfs opfs|idb] [--transport http|websocket] [--timeout-ms 60000]
//        [--chromium /usr/bin/chromium] [--subscribe 'STREAM' or 'STREAM:{"list_id":"l1"}'] [--commands]
//
// stdout carries only JSON lines, one per event (same shape as ../interop-node/sync-once.mjs):
//   {"event":"synced","tables":{...},"vfs":"opfs","dbFilename":"…","opfsFiles":[...]}
//                                            after the first complete sync; opfsFiles lists the
//                                            top level of the origin's private file system
//   {"event":"subscribed","tables":{...},"streams":[...],...}
//                                            with --subscribe, after the first sync, once that
//                                            stream subscription's first sync is complete
//                                            (streams: the SDK's view of each subscription)
//   {"event":"changed","tables":{...},...}    with --wait-for TABLE:ID or TABLE:#N, once it arrived
// With --commands, after those it reads JSON commands from stdin, one per line, and answers each with
// one event line (the protocol of ../interop-node/streams.mjs), until {"cmd":"close"} or EOF:
//   {"cmd":"subscribe","stream":"list","params":{"list_id":"l1"},"ttl":1,"priority":1}
//       → {"event":"subscribed",...} once that subscription's first sync is complete
//   {"cmd":"unsubscribe","stream":"list","params":{...}}      → {"event":"unsubscribed",...}
//   {"cmd":"wait","sql":"SELECT 1 FROM todos WHERE id = 't1'","present":true|false}
//       → {"event":"waited",...} once the query returns rows (present) or none (not present)
// Every event then also carries "streams" and "firstSynced" ([{seq, name, parameters}]: the order
// streams first showed hasSynced in, seq numbering the SDK's status updates).
// Exit codes: 0 done, 2 sync error, 3 timeout, 64 bad usage. The SDK's and the page's log go to
// stderr.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import readline from 'node:readline';

const EXIT_SYNC_ERROR = 2;
const EXIT_TIMEOUT = 3;
const EXIT_USAGE = 64;
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const { values: args } = parseArgs({
  options: {
    endpoint: { type: 'string' },
    token: { type: 'string' },
    schema: { type: 'string' },
    'wait-for': { type: 'string' },
    vfs: { type: 'string', default: 'opfs' },
    transport: { type: 'string', default: 'http' },
    'timeout-ms': { type: 'string', default: '60000' },
    chromium: { type: 'string', default: process.env.CHROMIUM ?? '/usr/bin/chromium' },
    subscribe: { type: 'string' },
    commands: { type: 'boolean', default: false }
  }
});

function usage(message) {
  process.stderr.write(`run-browser: ${message}\n`);
  process.exit(EXIT_USAGE);
}

if (!args.endpoint || !args.token || !args.schema) {
  usage('--endpoint, --token and --schema are required');
}
let schema;
try {
  schema = JSON.parse(args.schema);
} catch (e) {
  usage(`--schema is not JSON: ${e.message}`);
}
let waitFor = null;
if (args['wait-for']) {
  const m = /^([A-Za-z_][A-Za-z0-9_]*):(#(\d+)|(.+))$/.exec(args['wait-for']);
  if (!m || !schema[m[1]]) {
    usage(`--wait-for must be TABLE:ID or TABLE:#COUNT with a table of the schema, got ${args['wait-for']}`);
  }
  waitFor = { table: m[1], count: m[3] === undefined ? null : Number(m[3]), id: m[4] ?? null };
}
let subscription = null;
if (args.subscribe) {
  const m = /^([^:]+)(?::(.*))?$/s.exec(args.subscribe);
  try {
    subscription = { stream: m[1], params: m[2] === undefined ? null : JSON.parse(m[2]) };
  } catch (e) {
    usage(`--subscribe must be STREAM or STREAM:JSON, got ${args.subscribe}: ${e.message}`);
  }
}
const dist = path.join(path.dirname(fileURLToPath(import.meta.url)), 'dist');
if (!fs.existsSync(path.join(dist, 'page.js'))) {
  usage(`${dist}/page.js is missing: run \`npm run build\` in clients/interop-web first`);
}

// --- a static file server for dist/, loopback only ---------------------------------------------
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm',
  '.map': 'application/json' };
const files = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  const file = path.normalize(path.join(dist, decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname)));
  if (!file.startsWith(dist + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
  fs.createReadStream(file).pipe(res);
});
await new Promise((resolve) => files.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${files.address().port}`;

let browser = null;
let finishing = false;
async function finish(code, message) {
  if (finishing) {
    return;
  }
  finishing = true;
  if (message) {
    process.stderr.write(`run-browser: ${message}\n`);
  }
  await Promise.race([browser?.close(), new Promise((r) => setTimeout(r, 5000))]).catch(() => {});
  files.close();
  process.exit(code);
}

const timeoutMs = Number(args['timeout-ms']);
const timer = setTimeout(() => finish(EXIT_TIMEOUT, `timed out after ${timeoutMs} ms`), timeoutMs);

function emit(event, payload) {
  process.stdout.write(JSON.stringify({ event, ...payload }) + '\n');
}

try {
  browser = await chromium.launch({ executablePath: args.chromium, headless: true, args: CHROMIUM_ARGS });
  const page = await browser.newPage();
  page.on('console', (m) => process.stderr.write(`[page ${m.type()}] ${m.text()}\n`));
  page.on('pageerror', (e) => process.stderr.write(`[page error] ${e.stack ?? e}\n`));
  page.on('requestfailed', (r) => process.stderr.write(`[request failed] ${r.method()} ${r.url()} ${r.failure()?.errorText}\n`));
  await page.goto(`${origin}/index.html`);
  await page.waitForFunction(() => window.interop !== undefined);

  const flushLogs = async () => {
    for (const line of await page.evaluate(() => window.interop.logs())) {
      process.stderr.write(`[powersync] ${line}\n`);
    }
  };
  // Polls the page until `check` (run in the page) is true; any download error ends the run.
  const until = async (check, arg) => {
    for (;;) {
      await flushLogs();
      const status = await page.evaluate(() => window.interop.status());
      if (status.downloadError) {
        await finish(EXIT_SYNC_ERROR, `sync error: ${status.downloadError}`);
      }
      if (await page.evaluate(check, arg)) {
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const dbFilename = `interop-${Date.now()}.sqlite`;
  const snapshot = async () => ({
    ...(await page.evaluate(() => window.interop.snapshot())),
    vfs: args.vfs,
    dbFilename,
    opfsFiles: await page.evaluate(() => window.interop.opfsFiles())
  });

  await page.evaluate((options) => window.interop.start(options), {
    endpoint: args.endpoint, token: args.token, schema, vfs: args.vfs, transport: args.transport, dbFilename
  });
  await until(() => window.interop.status().hasSynced);
  emit('synced', await snapshot());

  if (subscription) {
    const index = await page.evaluate((s) => window.interop.subscribe(s.stream, s.params), subscription);
    await until((i) => window.interop.subscribed(i), index);
    emit('subscribed', { ...(await snapshot()), streams: await page.evaluate(() => window.interop.streams()) });
  }

  if (waitFor) {
    await until(async (w) => {
      const { tables } = await window.interop.snapshot();
      const rows = tables[w.table].rows;
      return w.count !== null ? rows.length >= w.count : rows.some((r) => r.id === w.id);
    }, waitFor);
    emit('changed', await snapshot());
  }
  if (args.commands) {
    const withStreams = async () => ({
      ...(await snapshot()),
      streams: await page.evaluate(() => window.interop.streams()),
      firstSynced: await page.evaluate(() => window.interop.firstSynced())
    });
    const handles = new Map();
    const key = (c) => `${c.stream}:${JSON.stringify(c.params ?? null)}`;
    const lines = readline.createInterface({ input: process.stdin });
    for await (const line of lines) {
      if (!line.trim()) continue;
      const c = JSON.parse(line);
      if (c.cmd === 'close') break;
      if (c.cmd === 'subscribe') {
        const options = {};
        if (c.ttl !== undefined) options.ttl = c.ttl;
        if (c.priority !== undefined) options.priority = c.priority;
        const index = await page.evaluate((s) => window.interop.subscribe(s.stream, s.params, s.options),
          { stream: c.stream, params: c.params ?? null, options });
        await until((i) => window.interop.subscribed(i), index);
        handles.set(key(c), index);
        emit('subscribed', await withStreams());
      } else if (c.cmd === 'unsubscribe') {
        if (!handles.has(key(c))) throw new Error(`no subscription ${key(c)}`);
        await page.evaluate((i) => window.interop.unsubscribe(i), handles.get(key(c)));
        handles.delete(key(c));
        emit('unsubscribed', await withStreams());
      } else if (c.cmd === 'wait') {
        const present = c.present !== false;
        await until(async (w) => (await window.interop.query(w.sql)).length > 0 === w.present, { sql: c.sql, present });
        emit('waited', await withStreams());
      } else {
        throw new Error(`unknown command ${line}`);
      }
    }
  }
  await flushLogs();
  await page.evaluate(() => window.interop.close()).catch(() => {});
  clearTimeout(timer);
  await finish(0);
} catch (e) {
  await finish(EXIT_SYNC_ERROR, `failed: ${e.stack ?? e}`);
}
