// Chromium for the browser benchmarks, launched the way a user's browser runs a page: one fresh
// on-disk profile per run (chromium.launchPersistentContext on a new temporary directory, removed
// afterwards), so OPFS, IndexedDB and the HTTP cache live on disk as they do for a user.
//
// Why not chromium.launch() + browser.newContext(): Playwright's newContext() is an
// off-the-record (incognito) browser context. Chromium keeps an incognito profile's storage in
// memory and serves OPFS through the browser process, so every small-page VFS write is an IPC
// round trip; @powersync/web with OPFSCoopSyncVFS ran 3-5x slower there (30-39 s instead of
// 8-10 s for 100k rows at load ~20) and our SDK up to 1.6x slower. docs/benchmarks.md, "How the
// browser is driven".
// `incognito: true` keeps that old way, only for the A/B that shows the difference.
import { chromium } from 'playwright-core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Flags needed on this machine only: root needs --no-sandbox (Playwright adds it), and the closed
 * network makes background fetches (component updates, variations, first-run pages) time out.
 * Nothing here changes how a page, a worker or storage runs. Playwright adds --headless itself.
 */
export const CHROMIUM_ARGS = ['--no-sandbox', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
  // For A/B runs only (e.g. the old harness's --disable-gpu --disable-quic): space-separated.
  ...(process.env.CHROMIUM_EXTRA_ARGS ?? '').split(' ').filter(Boolean)];

/**
 * Opens one page in a fresh browser; returns { page, profile (its directory, null when incognito), close }. `trace`: a file for a Chromium trace
 * of V8's sampling profiler on every thread and of every task each thread ran (cpu-profile-summary.mjs
 * reads it), written at close.
 */
export async function openUserBrowser({ incognito = false, trace = null, executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium' } = {}) {
  const args = trace === null ? CHROMIUM_ARGS : [...CHROMIUM_ARGS, '--trace-startup=disabled-by-default-v8.cpu_profiler,toplevel,blink.user_timing',
    `--trace-startup-file=${trace}`, '--trace-startup-format=json', '--trace-startup-duration=0'];
  if (incognito) {
    const browser = await chromium.launch({ executablePath, args });
    const page = await (await browser.newContext()).newPage();
    return { page, profile: null, close: () => browser.close() };
  }
  const profile = await mkdtemp(join(tmpdir(), 'syncline-bench-profile-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath, args });
  const page = context.pages()[0] ?? await context.newPage();
  return {
    page,
    profile,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
