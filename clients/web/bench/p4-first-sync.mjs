// P4 (BENCHMARKS.md): one first sync in a fresh Chromium context (its own empty OPFS), timed in
// the page from connect() to the first complete checkpoint applied and count(*) of todos =
// --expected. --sdk syncline: our SDK (bench/p4-page.js, opfs-sahpool); --sdk powersync: the stock
// @powersync/web 2.4 (clients/interop-web/src/p4-page.js, OPFSCoopSyncVFS; build it there first).
// Run by bench BrowserInitialSyncBench, once per round and SDK.
//   npm run build && node bench/p4-first-sync.mjs --sdk syncline|powersync --endpoint URL --token JWT \
//        --expected N [--timeout-ms 300000] [--probe download]
// --dist dist-before (syncline only): the page loads that build of our SDK instead of dist/ (A/B).
// --incognito: the old harness's off-the-record context, for A/B runs only (user-browser.mjs).
// --queries (syncline only): point queries by primary key run one after another during the sync;
// the result adds their latencies {"queries":{"n","p50","p99","max"}} (P6 during a first sync).
// --trace FILE: also write a Chromium CPU-profile trace; bench/cpu-profile-summary.mjs FILE reads it.
// --probe download|download-standard (syncline page only): the profile probe instead (compact rows, or
// standard NDJSON), the same stream fetched and
// JSON.parse'd in the page without storing anything: {"sdk":"download-only","ms":…,"parseMs":…,"ops":…}.
// stdout: one JSON line {"sdk":…,"storage":…,"checkpointMs":…,"totalMs":…,"count":…,"opfs":{"files","bytes"}};
// it fails unless the origin's OPFS holds the database afterwards (≥ 1 MB).
// Exit codes: 0 done, 2 failed (message on stderr), 64 bad usage.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { serve } from './static-server.mjs';
import { openUserBrowser } from './user-browser.mjs';

const { values: args } = parseArgs({
  options: {
    sdk: { type: 'string', default: 'syncline' },
    endpoint: { type: 'string' },
    token: { type: 'string' },
    expected: { type: 'string' },
    'timeout-ms': { type: 'string', default: '300000' },
    probe: { type: 'string' },
    incognito: { type: 'boolean', default: false },
    trace: { type: 'string' },
    // P6 during the sync: point queries one after another until the checkpoint is applied (our SDK's page).
    queries: { type: 'boolean', default: false },
    // Another build of our SDK beside dist/ (e.g. dist-before: the SDK before a change), for A/B runs.
    dist: { type: 'string', default: 'dist' },
  },
});
if (!args.endpoint || !args.token || !(Number(args.expected) > 0)) {
  process.stderr.write('p4-first-sync: --endpoint, --token and --expected (a positive row count) are required\n');
  process.exit(64);
}

const INTEROP_DIST = fileURLToPath(new URL('../../interop-web/dist/', import.meta.url));
const PAGES = {
  syncline: { serve: { prefixes: [`${args.dist}/`, 'bench/'] }, path: `bench/p4-page.html?dist=${args.dist}`, dbKey: 'dbName' },
  powersync: { serve: { root: INTEROP_DIST, prefixes: [''] }, path: 'p4.html', dbKey: 'dbFilename' },
};
const sdk = PAGES[args.sdk];
if (!sdk) {
  process.stderr.write(`p4-first-sync: --sdk must be one of ${Object.keys(PAGES).join(', ')}, got ${args.sdk}\n`);
  process.exit(64);
}
if (args.sdk === 'powersync' && !existsSync(INTEROP_DIST + 'p4-page.js')) {
  process.stderr.write(`p4-first-sync: ${INTEROP_DIST}p4-page.js is missing: run \`npm ci && npm run build\` in clients/interop-web\n`);
  process.exit(64);
}

const { server, origin } = await serve(sdk.serve);
// A fresh on-disk profile has its own, empty origin private file system: every round starts from nothing.
const browser = await openUserBrowser({ incognito: args.incognito, trace: args.trace ?? null });
const { page } = browser;
let code = 0;
try {
  page.on('pageerror', (e) => process.stderr.write(`[page error] ${e.stack ?? e}\n`));
  page.on('console', (m) => m.type() === 'error' && process.stderr.write(`[page error] ${m.text()}\n`));
  await page.goto(`${origin}/${sdk.path}`);
  await page.waitForFunction(() => window.p4 !== undefined);
  if (args.probe === 'download' || args.probe === 'download-standard') {
    const probe = await page.evaluate((o) => window.p4.downloadOnly(o), { endpoint: args.endpoint, token: args.token,
      standard: args.probe === 'download-standard' });
    process.stdout.write(JSON.stringify({ sdk: 'download-only', ...probe }) + '\n');
  } else {
    const result = await page.evaluate((o) => window.p4.firstSync(o), {
      endpoint: args.endpoint, token: args.token, [sdk.dbKey]: `p4-${Date.now()}.db`, expected: Number(args.expected),
      timeoutMs: Number(args['timeout-ms']), queries: args.queries,
    });
    if (result.count < Number(args.expected)) {
      throw new Error(`only ${result.count} of ${args.expected} todos after ${result.totalMs} ms`);
    }
    // What the origin's OPFS holds afterwards: the figure is only an OPFS figure if the database is there.
    const opfs = await page.evaluate(async () => {
      let files = 0;
      let bytes = 0;
      const walk = async (dir) => {
        for await (const handle of dir.values()) {
          if (handle.kind === 'directory') await walk(handle);
          else {
            files++;
            bytes += (await handle.getFile()).size;
          }
        }
      };
      await walk(await navigator.storage.getDirectory());
      return { files, bytes };
    });
    if (opfs.bytes < 1_000_000) {
      throw new Error(`the origin's OPFS holds only ${opfs.bytes} bytes in ${opfs.files} files after the sync: not an OPFS database`);
    }
    process.stdout.write(JSON.stringify({ sdk: args.sdk, ...result, opfs }) + '\n');
  }
} catch (e) {
  process.stderr.write(`p4-first-sync: ${e.stack ?? e}\n`);
  code = 2;
} finally {
  await browser.close();
  server.close();
}
process.exit(code);
