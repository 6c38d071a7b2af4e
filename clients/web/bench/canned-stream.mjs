// A /sync/stream that costs nothing: answers every request with one synthetic first checkpoint of
// N todos in data lines of 1,000 ops (compact rows when the client's Accept asks for them, as the
// server does), then keeps the stream open. The rows are the ones the
// benchmarks insert on the real server (BrowserInitialSyncBench, InitialSyncBench): id 'b1'…'bN',
// list_id 'l1', description rpad('todo number N', 80, '.') (or 'todo number N' with
// descriptionChars 0, P3's rows), done 1 for even N, n = N, in bucket user_lists["l1"], so that
// 'b1', 'b10', 'b100' … reach the client's B-trees in the same (not key) order as from the server.
// (An earlier version sent increasing UUID-like ids; in an A/B at load 15-17 neither SDK showed a
// difference beyond the noise: bench/results/canned-ids-ab-2026-12-07T0010Z.md.) No PostgreSQL, no server. The benchmarks
// run every peer (and our own SDK) against it in the same session as against the real server: a
// peer much slower against Syncline than against this stream is either the server's fault or a
// broken harness (BENCHMARKS.md, "Baselines must not flatter us"). Also a development aid for
// iterating on the web worker's storage with p4-first-sync.mjs.
//   node bench/canned-stream.mjs [rows=100000] [port=0] [descriptionChars=80] [subkeys]
//     → prints {"endpoint":…,"rows":…,"bytes":…} once the body is ready, and serves until killed
// descriptionChars 0 keeps the description as short as P3's rows ('todo number N').
import { createServer } from 'node:http';

const rows = Number(process.argv[2] ?? 100_000);
const port = Number(process.argv[3] ?? 0);
const descriptionChars = Number(process.argv[4] ?? 80);
// subkeys: every op also carries a 36-character subkey, as the real server's ops do (A/B of the wire).
const subkeys = process.argv[5] === 'subkeys';
const subkeyOf = (g) => `00000000-0000-4000-8000-${String(g).padStart(12, '0')}`;
const LINE = 1000;
const BUCKET = 'user_lists["l1"]';

/** Deterministic per-op checksum in [0, 2^32). */
const checksumOf = (i) => Math.imul(i + 1, 2654435761) >>> 0;

const COMPACT = 'application/vnd.syncline.compact+ndjson';
const COLUMNS = ['id', 'list_id', 'description', 'done', 'n'];

/**
 * The body as Buffers of one line each (1M rows is ~325 MB: more than one JS string may hold).
 * compact: data lines as compact rows (docs/sync-api.md), for clients that ask for them (ours), as
 * the real server sends them.
 */
function body(compact) {
  const lines = [];
  const line = (o) => Buffer.from(JSON.stringify(o) + '\n');
  let total = 0;
  for (let i = 0; i < rows; i++) total = (total + checksumOf(i)) >>> 0;
  const last = String(rows);
  lines.push(line({ checkpoint: { last_op_id: last, buckets: [{ bucket: BUCKET, checksum: total, count: rows, priority: 3 }] } }));
  for (let start = 0; start < rows; start += LINE) {
    const end = Math.min(rows, start + LINE);
    const data = [];
    for (let i = start; i < end; i++) {
      const g = i + 1;
      const id = `b${g}`;
      const description = descriptionChars > 0 ? `todo number ${g}`.padEnd(descriptionChars, '.') : `todo number ${g}`;
      const row = { id, list_id: 'l1', description, done: g % 2 === 0 ? 1 : 0, n: g };
      const op = compact
        ? [i + 1, checksumOf(i), 0, id, Object.values(row), 0]
        : { op_id: String(i + 1), op: 'PUT', object_type: 'todos', object_id: id, data: JSON.stringify(row), checksum: checksumOf(i) };
      if (subkeys) {
        if (compact) op.push(subkeyOf(g));
        else op.subkey = subkeyOf(g);
      }
      data.push(op);
    }
    const position = { bucket: BUCKET, has_more: end < rows, after: String(start), next_after: String(end) };
    lines.push(line(compact ? { rows: { ...position, ops: data, shapes: [['todos', COLUMNS]] } } : { data: { ...position, data } }));
  }
  lines.push(line({ checkpoint_complete: { last_op_id: last } }));
  return lines;
}

const payloads = { standard: body(false), compact: body(true) };
const bytes = payloads.standard.reduce((n, b) => n + b.length, 0);
const cors = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  // The same list the real server allows: @powersync/web also sends x-user-agent, and a preflight
  // that refuses it fails every request with "Failed to fetch".
  'access-control-allow-headers': 'authorization, content-type, x-user-agent, accept',
};
const server = createServer((req, res) => {
  if (req.method === 'OPTIONS') return res.writeHead(204, cors).end();
  if (!req.url.startsWith('/sync/stream')) return res.writeHead(404, cors).end();
  req.resume();
  const compact = (req.headers.accept ?? '').includes(COMPACT);
  const payload = compact ? payloads.compact : payloads.standard;
  res.writeHead(200, { ...cors, 'content-type': compact ? COMPACT : 'application/x-ndjson' });
  // Written in ~1 MB slices, honouring backpressure, as a server flushing its buffer would.
  let i = 0;
  const more = () => {
    while (i < payload.length) {
      let chunk = [];
      let size = 0;
      while (i < payload.length && size < 1 << 20) {
        chunk.push(payload[i]);
        size += payload[i++].length;
      }
      if (!res.write(Buffer.concat(chunk))) return res.once('drain', more);
    }
    // Like the real server, the stream stays open after the checkpoint; the client closes it.
  };
  more();
});
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ endpoint: `http://127.0.0.1:${server.address().port}`, rows, bytes }) + '\n');
});
