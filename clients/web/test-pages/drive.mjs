// Browser driver for the Java ITs: reads JSON commands on stdin, runs them in Debian's Chromium
// through playwright-core, and answers each with one JSON line on stdout ({id, ok, value|error}).
//   {"id":1,"cmd":"context","ctx":"alice"}                      new browser context (own OPFS)
//   {"id":1,"cmd":"context","ctx":"alice","persistent":true}    …with an on-disk profile (a Chromium of
//                                                                its own, user data in a temp dir)
//   {"id":2,"cmd":"page","ctx":"alice","page":"a1","url":"…"}  open a page and wait for window.sl.ready
//   {"id":3,"cmd":"eval","page":"a1","expr":"…"}                evaluate an expression (awaited)
//   {"id":4,"cmd":"wait","page":"a1","expr":"…","timeoutMs":n}  wait until the expression is truthy
//   {"id":5,"cmd":"reload","page":"a1"} / {"cmd":"close","page":"a1"}
import { chromium } from 'playwright-core';
import { createInterface } from 'node:readline';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];
const profiles = [];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ARGS,
});
const contexts = new Map();
const pages = new Map();

function page(name) {
  const p = pages.get(name);
  if (p === undefined) throw new Error(`no page ${name}`);
  return p;
}

async function ready(p) {
  await p.waitForFunction(() => window.sl && (window.sl.ready || window.sl.errors.length > 0), null, { timeout: 30_000 });
  const errors = await p.evaluate(() => window.sl.errors);
  if (errors.length > 0) throw new Error(`page failed to start: ${errors.join('\n')}`);
}

const handlers = {
  async context(c) {
    if (c.persistent) {
      const dir = mkdtempSync(join(tmpdir(), 'syncline-profile-'));
      profiles.push(dir);
      contexts.set(c.ctx, await chromium.launchPersistentContext(dir, {
        executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true, args: ARGS,
      }));
    } else {
      contexts.set(c.ctx, await browser.newContext());
    }
    return null;
  },
  async page(c) {
    const ctx = contexts.get(c.ctx);
    const p = await ctx.newPage();
    p.on('console', (m) => process.stderr.write(`[${c.page} console.${m.type()}] ${m.text()}\n`));
    p.on('pageerror', (e) => process.stderr.write(`[${c.page} pageerror] ${e}\n`));
    pages.set(c.page, p);
    await p.goto(c.url);
    if (c.waitReady !== false) await ready(p);
    return null;
  },
  async eval(c) {
    return page(c.page).evaluate(c.expr);
  },
  async wait(c) {
    await page(c.page).waitForFunction(c.expr, null, { timeout: c.timeoutMs ?? 20_000, polling: 50 });
    return page(c.page).evaluate(c.expr);
  },
  async reload(c) {
    const p = page(c.page);
    await p.reload();
    if (c.waitReady !== false) await ready(p);
    return null;
  },
  async close(c) {
    await page(c.page).close({ runBeforeUnload: false });
    pages.delete(c.page);
    return null;
  },
};

const rl = createInterface({ input: process.stdin });
let chain = Promise.resolve();
rl.on('line', (line) => {
  chain = chain.then(async () => {
    let c;
    try {
      c = JSON.parse(line);
      const value = await handlers[c.cmd](c);
      process.stdout.write(JSON.stringify({ id: c.id, ok: true, value: value ?? null }) + '\n');
    } catch (e) {
      process.stdout.write(JSON.stringify({ id: c?.id ?? null, ok: false, error: String(e && e.stack || e) }) + '\n');
    }
  });
});
rl.on('close', async () => {
  await chain;
  for (const ctx of contexts.values()) await ctx.close().catch(() => undefined);
  for (const dir of profiles) rmSync(dir, { recursive: true, force: true });
  await browser.close();
  process.exit(0);
});
