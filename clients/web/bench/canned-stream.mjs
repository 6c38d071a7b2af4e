// A /sync/stream that costs nothing: answers every request with one synthetic first checkpoint of
// N todos (the P4 row shape: id, list_id, a description of 80 characters by default, done, n) in
// data lines of 1,000 ops, then keeps the stream open. No PostgreSQL, no server. The benchmarks
// run every peer (and our own SDK) against it in the same session as against the real server: a
// peer much slower against Syncline than against this stream is either the server's fault or a
// broken harness (BENCHMARKS.md, "Baselines must not flatter us"). Also a development aid for
// iterating on the web worker's storage with p4-first-sync.mjs.
//   node bench/canned-stream.mjs [rows=100000] [port=0] [descriptionChars=80]
//     → prints {"endpoint":…,"rows":…,"bytes":…} once the body is ready, and serves until killed
// descriptionChars 0 keeps the description as short as P3's rows ('todo number N').
import { createServer } from 'node:http';

const rows = Number(process.argv[2] ?? 100_000);
const port = Number(process.argv[3] ?? 0);
const descriptionChars = Number(process.argv[4] ?? 80);
const LINE = 1000;
const BUCKET = 'user_todos["alice"]';

/** Deterministic per-op checksum in [0, 2^32). */
const checksumOf = (i) => Math.imul(i + 1, 2654435761) >>> 0;

/** The body as Buffers of one line each (1M rows is ~325 MB: more than one JS string may hold). */
function body() {
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
      const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
      const description = descriptionChars > 0 ? `todo ${i} `.padEnd(descriptionChars, 'x') : `todo number ${i}`;
      const row = { id, list_id: 'l1', description, done: i % 2, n: i };
      data.push({ op_id: String(i + 1), op: 'PUT', object_type: 'todos', object_id: id, data: JSON.stringify(row), checksum: checksumOf(i) });
    }
    lines.push(line({ data: { bucket: BUCKET, data, has_more: end < rows, after: String(start), next_after: String(end) } }));
  }
  lines.push(line({ checkpoint_complete: { last_op_id: last } }));
  return lines;
}

const payload = body();
const bytes = payload.reduce((n, b) => n + b.length, 0);
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
  res.writeHead(200, { ...cors, 'content-type': 'application/x-ndjson' });
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
