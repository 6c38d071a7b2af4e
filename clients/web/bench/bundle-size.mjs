// The SDK's bundle sizes: raw and gzip (level 9) of each built file an app ships.
// Usage: npm run build && node bench/bundle-size.mjs
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const files = ['dist/index.js', 'dist/react.js', 'dist/worker.js', 'dist/sqlite3.wasm'];
for (const f of files) {
  const bytes = readFileSync(new URL(`../${f}`, import.meta.url));
  const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
  console.log(`${f.padEnd(20)} ${kb(bytes.length).padStart(11)} raw ${kb(gzipSync(bytes, { level: 9 }).length).padStart(11)} gzip`);
}
