// The benchmark browser keeps a page's OPFS on disk, in its fresh profile, as a user's browser
// does (an incognito context keeps it in memory and routes every access through the browser
// process: user-browser.mjs). Needs /usr/bin/chromium (or CHROMIUM).
//   node --test bench/user-browser.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openUserBrowser } from './user-browser.mjs';
import { serve } from './static-server.mjs';

const SIZE = 1_234_567; // an odd size to find the file by

async function filesOfSize(dir, size) {
  const found = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const path = join(e.parentPath ?? e.path, e.name);
    if ((await stat(path).catch(() => null))?.size === size) found.push(path);
  }
  return found;
}

test('an OPFS file written by the page lands in the fresh on-disk profile, which is removed at close', async () => {
  const { server, origin } = await serve();
  const browser = await openUserBrowser();
  try {
    assert.ok(browser.profile, 'a profile directory');
    await browser.page.goto(`${origin}/test-pages/sdk.html?connect=0`); // any document of the secure 127.0.0.1 origin
    await browser.page.evaluate(async (size) => {
      const root = await navigator.storage.getDirectory();
      const file = await root.getFileHandle('probe.bin', { create: true });
      const w = await file.createWritable();
      await w.write(new Uint8Array(size));
      await w.close();
    }, SIZE);
    const files = await filesOfSize(browser.profile, SIZE);
    assert.equal(files.length, 1, `one ${SIZE}-byte file under ${browser.profile}, found ${files.length}`);
  } finally {
    await browser.close();
    server.close();
  }
  assert.equal(existsSync(browser.profile), false, 'the profile is removed at close');
});
