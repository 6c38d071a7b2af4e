// Where a first sync's CPU time goes in the browser: reads a Chromium trace written by
// p4-first-sync.mjs --trace FILE (V8's sampling profiler on every thread), takes the dedicated
// worker's samples (our SDK's worker, or @powersync/web's database and sync workers) and the
// page's, maps minified frames of dist/worker.js back to the TypeScript function through the
// source map, and prints inclusive and self milliseconds per function plus a phase breakdown.
//   node bench/cpu-profile-summary.mjs TRACE.json [--top 25] [--json] [--long-tasks MS [--thread REGEX]]
// --long-tasks MS: instead, every task of MS ms or longer on each thread whose name matches --thread
// (default DedicatedWorker: our database worker, listed first, and its download thread), from the
// trace's toplevel RunTask events that user-browser.mjs records with the samples, with the
// TypeScript functions its samples ran in and their top self frames, then a count by the innermost
// function: what keeps a page's query waiting during a sync (P6). A task without samples of
// JavaScript is native work (e.g. the fetch body's data pipe, garbage collection tasks).
// --slow-queries: for each query the p4 page timed over 2 ms (its 'slow query' user timing spans,
// p4-first-sync.mjs --queries --trace), the database worker's task that overlapped it most, and how
// much of that task the V8 sampler saw running (few samples in a long task: the thread was waiting
// for a core), as a count per kind.
// Samples are taken every ~0.1-1 ms, so figures are approximate; "(idle)" is time the thread
// waited (for the network, a lock, the page).
import { readFileSync, existsSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' }, json: { type: 'boolean', default: false }, 'long-tasks': { type: 'string' }, 'slow-queries': { type: 'boolean', default: false }, thread: { type: 'string', default: 'DedicatedWorker' } } });
const trace = JSON.parse(readFileSync(positionals[0], 'utf8'));
const events = trace.traceEvents ?? trace;

const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
const SRC = fileURLToPath(new URL('../src/', import.meta.url));
const map = existsSync(DIST + 'worker.js.map') ? new SourceMap(JSON.parse(readFileSync(DIST + 'worker.js.map', 'utf8'))) : null;
const sourceCache = new Map();

/** The name of the TypeScript function that contains line (0-based) of src/<file>. */
function enclosingFunction(file, line) {
  if (!sourceCache.has(file)) {
    const path = SRC + file.replace(/^\.\.\/src\//, '');
    sourceCache.set(file, existsSync(path) ? readFileSync(path, 'utf8').split('\n') : null);
  }
  const lines = sourceCache.get(file);
  if (!lines) return '?';
  const decl = /^\s*(?:export\s+)?(?:private\s+|public\s+|static\s+)*(?:async\s+)?(?:function\*?\s+([A-Za-z0-9_$]+)|\*?([A-Za-z0-9_$]+)\s*\([^)]*\)?[^=]*\{\s*$|(?:const|let)\s+([A-Za-z0-9_$]+)\s*=)/;
  for (let i = Math.min(line, lines.length - 1); i >= 0; i--) {
    const m = decl.exec(lines[i]);
    if (m && !/^\s*(if|for|while|switch|catch|return)\b/.test(lines[i])) return m[1] ?? m[2] ?? m[3];
  }
  return '(module)';
}

function frameName(cf) {
  const url = cf.url ?? '';
  if (url.endsWith('/worker.js') && map) {
    const e = map.findEntry(cf.lineNumber, cf.columnNumber);
    if (e && e.originalSource) {
      const file = e.originalSource.replace(/^\.\.\/src\//, '').replace(/^\.\.\/node_modules\//, 'node_modules/');
      if (file.startsWith('node_modules/')) return `${file.split('/').slice(1, 3).join('/')} (JS)`;
      return `${file}:${enclosingFunction(e.originalSource, e.originalLine)}`;
    }
  }
  if (url.endsWith('.wasm') || /^\$|wasm-function/.test(cf.functionName)) return 'SQLite (wasm)';
  const fn = cf.functionName || '(anonymous)';
  if (!url) return fn; // (program), (idle), (garbage collector), builtins
  return `${url.split('/').pop()}:${fn}`;
}

// Profiles: one per thread, id → { pid, tid, nodes, samples, deltas }.
const threads = new Map();
for (const e of events) {
  if (e.name === 'thread_name') threads.set(`${e.pid}/${e.tid}`, e.args.name);
}
const profiles = new Map();
for (const e of events) {
  if (e.name === 'Profile') {
    profiles.set(`${e.pid}:${e.id}`, { thread: threads.get(`${e.pid}/${e.tid}`) ?? `${e.pid}/${e.tid}`, key: `${e.pid}/${e.tid}`,
      start: e.args.data.startTime, nodes: new Map(), samples: [], deltas: [] });
  }
}
for (const e of events) {
  if (e.name !== 'ProfileChunk') continue;
  const p = profiles.get(`${e.pid}:${e.id}`);
  if (!p) continue;
  const data = e.args.data;
  for (const n of data.cpuProfile?.nodes ?? []) p.nodes.set(n.id, n);
  p.samples.push(...(data.cpuProfile?.samples ?? []));
  p.deltas.push(...(data.timeDeltas ?? []));
}

if (args['slow-queries']) {
  slowQueries();
  process.exit(0);
}

if (args['long-tasks'] !== undefined) {
  longTasks(Number(args['long-tasks']) * 1000);
  process.exit(0);
}

/** Each slow query's overlapping database worker task (the first DedicatedWorker profile), by kind. */
function slowQueries() {
  const p = [...profiles.values()].find((x) => /DedicatedWorker/.test(x.thread) && x.samples.length > 0);
  if (!p) throw new Error('no worker samples in the trace');
  const times = [];
  let t = p.start;
  for (const d of p.deltas) times.push((t += d));
  const interval = [...p.deltas].sort((a, b) => a - b)[Math.floor(p.deltas.length / 2)]; // µs, median
  // A span begins at its start; it ends when the page measured it (callTime: right after the
  // answer; Chromium's end events of these spans all carry one late timestamp).
  const spans = events.filter((e) => e.name === 'slow query' && e.ph === 'b' && e.args?.callTime).map((e) => [e.ts, e.args.callTime]);
  const tasks = events.filter((e) => `${e.pid}/${e.tid}` === p.key && e.ph === 'X' && e.name === 'ThreadControllerImpl::RunTask');
  const kinds = new Map();
  for (const [start, end] of spans) {
    let task = null;
    for (const x of tasks) {
      const o = Math.min(end, x.ts + x.dur) - Math.max(start, x.ts);
      if (o > 0 && (task === null || o > task.o)) task = { o, x };
    }
    let kind = 'no database worker task';
    if (task !== null) {
      const { x } = task;
      const names = new Map();
      let n = 0;
      for (let i = 0; i < p.samples.length; i++) {
        if (times[i] < x.ts || times[i] > x.ts + x.dur) continue;
        const name = frameName(p.nodes.get(p.samples[i]).callFrame);
        if (name === '(idle)' || name === '(program)') continue;
        n++;
        for (let id = p.samples[i]; id !== undefined; id = p.nodes.get(id)?.parent) {
          const f = frameName(p.nodes.get(id).callFrame);
          // The innermost function of ours above the SQLite adapter and the lock: which statement ran.
          if (f.includes('.ts:') && !/oo1-adapter|sql-db|lock\.ts/.test(f)) {
            names.set(f, (names.get(f) ?? 0) + 1);
            break;
          }
        }
      }
      const running = Math.min(1, (n * interval) / x.dur);
      const what = [...names.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '(no JavaScript)';
      kind = `${x.dur >= 2000 ? 'task ≥ 2 ms' : 'task < 2 ms'}, ${running < 0.5 ? 'running < 50 %' : 'running ≥ 50 %'}: ${what}`;
    }
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  console.log(`${spans.length} slow queries (> 2 ms); the database worker task that overlapped each most (sampling every ~${(interval / 1000).toFixed(2)} ms):`);
  for (const [k, v] of [...kinds.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(args.top))) console.log(`${String(v).padStart(5)} ${k}`);
}

/** The worker's tasks of at least minUs µs, each with the src/ functions (inclusive ms) its samples ran in. */
function longTasks(minUs) {
  for (const p of profiles.values()) {
    if (!new RegExp(args.thread).test(p.thread) || p.samples.length === 0) continue;
    const times = [];
    let t = p.start;
    for (const d of p.deltas) times.push((t += d));
    const tasks = events.filter((e) => `${e.pid}/${e.tid}` === p.key && e.ph === 'X' && e.name === 'ThreadControllerImpl::RunTask' && e.dur >= minUs)
      .sort((a, b) => a.ts - b.ts);
    const byLabel = new Map();
    let first = null;
    console.log(`## ${p.thread}: ${tasks.length} tasks of ${minUs / 1000} ms or more`);
    for (const task of tasks) {
      first ??= task.ts;
      const incl = new Map();
      const self = new Map();
      for (let i = 0; i < p.samples.length; i++) {
        if (times[i] < task.ts || times[i] > task.ts + task.dur) continue;
        const leaf = frameName(p.nodes.get(p.samples[i]).callFrame);
        self.set(leaf, (self.get(leaf) ?? 0) + 1);
        const seen = new Set();
        for (let id = p.samples[i]; id !== undefined; id = p.nodes.get(id)?.parent) {
          const node = p.nodes.get(id);
          if (!node) break;
          const n = frameName(node.callFrame);
          if (seen.has(n) || !/\.ts:|SQLite|garbage/.test(n)) continue;
          seen.add(n);
          incl.set(n, (incl.get(n) ?? 0) + 1);
        }
      }
      const top = [...incl.entries()].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([n, c]) => `${n} ${c}`);
      const label = [...incl.entries()].filter(([n]) => n.includes('.ts:')).sort((a, b) => a[1] - b[1])[0]?.[0] ?? '(no samples)';
      const agg = byLabel.get(label) ?? { n: 0, ms: 0, max: 0 };
      agg.n++; agg.ms += task.dur / 1000; agg.max = Math.max(agg.max, task.dur / 1000);
      byLabel.set(label, agg);
      const selfTop = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([n, c]) => `${n} ${c}`);
      console.log(`${((task.ts - first) / 1000).toFixed(1).padStart(8)} ms +${(task.dur / 1000).toFixed(1).padStart(6)} ms | ${top.join(' · ')} | self: ${selfTop.join(' · ')}`);
    }
    console.log('\nby innermost src/ function present in the task (count, total ms, max ms):');
    for (const [l, a] of [...byLabel.entries()].sort((x, y) => y[1].ms - x[1].ms)) console.log(`${String(a.n).padStart(5)} ${a.ms.toFixed(0).padStart(7)} ${a.max.toFixed(1).padStart(7)} | ${l}`);
  }
}

const report = [];
for (const p of profiles.values()) {
  if (p.samples.length === 0) continue;
  const names = new Map();
  const nameOf = (id) => {
    if (!names.has(id)) names.set(id, frameName(p.nodes.get(id).callFrame));
    return names.get(id);
  };
  const self = new Map();
  const incl = new Map();
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const ms = (p.deltas[i + 1] ?? 0) / 1000; // a sample lasts until the next one
    total += ms;
    let id = p.samples[i];
    const leaf = nameOf(id);
    self.set(leaf, (self.get(leaf) ?? 0) + ms);
    const seen = new Set();
    while (id !== undefined) {
      const node = p.nodes.get(id);
      if (!node) break;
      const n = nameOf(id);
      if (!seen.has(n)) {
        seen.add(n);
        incl.set(n, (incl.get(n) ?? 0) + ms);
      }
      id = node.parent;
    }
  }
  const idle = self.get('(idle)') ?? 0;
  const top = (m) => [...m.entries()].filter(([n]) => n !== '(root)').sort((a, b) => b[1] - a[1]).slice(0, Number(args.top))
    .map(([n, ms]) => ({ name: n, ms: Math.round(ms) }));
  report.push({ thread: p.thread, totalMs: Math.round(total), busyMs: Math.round(total - idle), self: top(self), inclusive: top(incl) });
}
report.sort((a, b) => b.busyMs - a.busyMs);
if (args.json) {
  process.stdout.write(JSON.stringify(report) + '\n');
} else {
  for (const r of report) {
    console.log(`\n## ${r.thread}: ${r.totalMs} ms sampled, ${r.busyMs} ms busy`);
    console.log('inclusive ms | function');
    for (const f of r.inclusive) console.log(`${String(f.ms).padStart(8)} | ${f.name}`);
    console.log('self ms | function');
    for (const f of r.self) console.log(`${String(f.ms).padStart(8)} | ${f.name}`);
  }
}
