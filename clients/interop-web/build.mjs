#!/usr/bin/env node
// Builds dist/: index.html, page.js (the test page bundled with @powersync/web by esbuild), p4.html
// and p4-page.js (the P4 benchmark page, bench BrowserInitialSyncBench) and
// dist/@powersync/ (the SDK's prebuilt worker with its wa-sqlite chunks and wasm, which the page
// names explicitly as its database and sync worker).
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, 'dist');
const require = createRequire(import.meta.url);

fs.rmSync(dist, { recursive: true, force: true });
fs.mkdirSync(dist, { recursive: true });

await esbuild.build({
  entryPoints: [path.join(here, 'src/page.js'), path.join(here, 'src/p4-page.js')],
  outdir: dist,
  bundle: true,
  format: 'esm',
  splitting: true,
  target: 'es2022',
  sourcemap: true,
  logLevel: 'warning'
});

const workerDir = path.dirname(require.resolve('@powersync/web/bundled_worker'));
fs.cpSync(workerDir, path.join(dist, '@powersync'), { recursive: true });
fs.copyFileSync(path.join(here, 'index.html'), path.join(dist, 'index.html'));
fs.copyFileSync(path.join(here, 'p4.html'), path.join(dist, 'p4.html'));
process.stdout.write(`built ${path.relative(process.cwd(), dist) || dist}\n`);
