// Browser driver for DemoAppIT (and for trying the demo by hand): reads JSON commands on stdin,
// runs them in Debian's Chromium through playwright-core, answers each with one JSON line on
// stdout ({id, ok, value|error}). Pages are driven like a user would: typing, clicking.
//   {"id":1,"cmd":"context","ctx":"alice"}                        new browser context (own OPFS)
//   {"id":2,"cmd":"page","ctx":"alice","page":"a","url":"…"}     open the app, wait for window.demo.ready
//   {"id":3,"cmd":"eval","page":"a","expr":"…"}                   evaluate an expression (awaited)
//   {"id":4,"cmd":"wait","page":"a","expr":"…","timeoutMs":n}    wait until the expression is truthy
//   {"id":5,"cmd":"fill","page":"a","selector":"…","text":"…"}   type into a field
//   {"id":6,"cmd":"click","page":"a","selector":"…"}              click an element
//   {"id":7,"cmd":"press","page":"a","selector":"…","key":"Enter"}
//   {"id":8,"cmd":"text","page":"a","selector":"…"}               an element's visible text
//   {"id":9,"cmd":"screenshot","page":"a","path":"…"}             full-page PNG
//   {"id":10,"cmd":"answerPrompt","page":"a","text":"…"}         answer the page's next prompt() with text
//   {"id":11,"cmd":"close","page":"a"}
import { chromium } from 'playwright-core';
import { createInterface } from 'node:readline';

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const contexts = new Map();
const pages = new Map();

function page(name) {
  const p = pages.get(name);
  if (p === undefined) throw new Error(`no page ${name}`);
  return p;
}

const handlers = {
  async context(c) {
    contexts.set(c.ctx, await browser.newContext({ viewport: { width: 1100, height: 800 } }));
    return null;
  },
  async page(c) {
    const p = await contexts.get(c.ctx).newPage();
    p.on('console', (m) => process.stderr.write(`[${c.page} console.${m.type()}] ${m.text()}\n`));
    p.on('pageerror', (e) => process.stderr.write(`[${c.page} pageerror] ${e}\n`));
    pages.set(c.page, p);
    await p.goto(c.url);
    await p.waitForFunction(() => window.demo && (window.demo.ready || window.demo.errors.length > 0), null, { timeout: 30_000 });
    const errors = await p.evaluate(() => window.demo.errors);
    if (errors.length > 0) throw new Error(`the app failed to start: ${errors.join('\n')}`);
    return null;
  },
  async eval(c) {
    return page(c.page).evaluate(c.expr);
  },
  async wait(c) {
    await page(c.page).waitForFunction(c.expr, null, { timeout: c.timeoutMs ?? 20_000, polling: 50 });
    return page(c.page).evaluate(c.expr);
  },
  async fill(c) {
    await page(c.page).fill(c.selector, c.text);
    return null;
  },
  async click(c) {
    await page(c.page).click(c.selector);
    return null;
  },
  async press(c) {
    await page(c.page).press(c.selector, c.key);
    return null;
  },
  async text(c) {
    return page(c.page).innerText(c.selector);
  },
  async screenshot(c) {
    await page(c.page).screenshot({ path: c.path, fullPage: true });
    return c.path;
  },
  async answerPrompt(c) {
    page(c.page).once('dialog', (d) => void d.accept(c.text));
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
      const handler = handlers[c.cmd];
      if (handler === undefined) throw new Error(`unknown command ${c.cmd}; known: ${Object.keys(handlers).join(', ')}`);
      const value = await handler(c);
      process.stdout.write(JSON.stringify({ id: c.id, ok: true, value: value ?? null }) + '\n');
    } catch (e) {
      process.stdout.write(JSON.stringify({ id: c?.id ?? null, ok: false, error: String(e && e.stack || e) }) + '\n');
    }
  });
});
rl.on('close', async () => {
  await chain;
  await browser.close();
  process.exit(0);
});
