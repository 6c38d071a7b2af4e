// Builds dist/: index.html, the styles, the app bundle, and the SDK's worker and SQLite wasm beside
// it (the SDK starts ./worker.js relative to the bundle, and the worker loads ./sqlite3.wasm).
// With --tests, builds the node tests of the pure parts into dist-test/.
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const common = { bundle: true, format: 'esm', target: 'es2022', sourcemap: true, logLevel: 'warning' };

if (process.argv.includes('--tests')) {
  rmSync('dist-test', { recursive: true, force: true });
  const entryPoints = readdirSync('test').filter((f) => f.endsWith('.test.ts')).map((f) => join('test', f));
  await build({ ...common, entryPoints, outdir: 'dist-test', platform: 'node' });
} else {
  // The SDK is a local package (file:../clients/web): its dist/ must be built first.
  const sdkDist = join(dirname(fileURLToPath(import.meta.resolve('@syncline/web'))));
  for (const f of ['worker.js', 'sqlite3.wasm']) {
    if (!existsSync(join(sdkDist, f))) {
      console.error(`demo: ${join(sdkDist, f)} is missing; build the SDK first (cd clients/web && npm ci && npm run build)`);
      process.exit(1);
    }
  }
  rmSync('dist', { recursive: true, force: true });
  mkdirSync('dist', { recursive: true });
  await build({ ...common, entryPoints: { app: 'src/main.ts' }, outdir: 'dist', platform: 'browser', minify: true });
  for (const f of ['worker.js', 'worker.js.map', 'sqlite3.wasm']) {
    if (existsSync(join(sdkDist, f))) copyFileSync(join(sdkDist, f), join('dist', f));
  }
  for (const f of ['index.html', 'style.css']) copyFileSync(join('src', f), join('dist', f));
}
