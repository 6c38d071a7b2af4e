// Builds dist/ (ESM main entry, React hook entry, the worker, the SQLite wasm beside it) or,
// with --tests, the node test files into dist-test/.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const tests = process.argv.includes('--tests');
const common = { bundle: true, format: 'esm', target: 'es2022', sourcemap: true, logLevel: 'warning' };

if (tests) {
  rmSync('dist-test', { recursive: true, force: true });
  const entryPoints = readdirSync('test').filter((f) => f.endsWith('.test.ts')).map((f) => join('test', f));
  await build({ ...common, entryPoints, outdir: 'dist-test', platform: 'node', external: ['@sqlite.org/sqlite-wasm'] });
} else {
  rmSync('dist', { recursive: true, force: true });
  await build({ ...common, entryPoints: { index: 'src/index.ts' }, outdir: 'dist', platform: 'browser', minify: true });
  await build({ ...common, entryPoints: { react: 'src/react.ts' }, outdir: 'dist', platform: 'browser', minify: true,
    external: ['react'] });
  await build({ ...common, entryPoints: { worker: 'src/worker/worker.ts' }, outdir: 'dist', platform: 'browser', minify: true });
  // The worker loads sqlite3.wasm relative to its own URL.
  const require = createRequire(import.meta.url);
  const sqliteDir = dirname(require.resolve('@sqlite.org/sqlite-wasm/package.json'));
  mkdirSync('dist', { recursive: true });
  copyFileSync(join(sqliteDir, 'dist', 'sqlite3.wasm'), join('dist', 'sqlite3.wasm'));
}
