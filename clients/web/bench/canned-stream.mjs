// Development aid for P4: a stand-in /sync/stream that answers every request with one synthetic
// first checkpoint of N todos (the P4 row shape: id, list_id, an 80-character description, done,
// n) in data lines of 1,000 ops, then keeps the stream open. No PostgreSQL, no server: for
// iterating on the worker's storage with p4-first-sync.mjs; the P4 numbers themselves come from
// `bench/run browser-sync` against the real server.
//   node bench/canned-stream.mjs [rows=100000] [port=0]   → prints {"endpoint":…} and serves until killed
import { createServer } from 'node:http';

const rows = Number(process.argv[2] ?? 100_000);
const port = Number(process.argv[3] ?? 0);
const LINE = 1000;
const BUCKET = 'user_todos["alice"]';

/** Deterministic per-op checksum in [0, 2^32). */
const checksumOf = (i) => Math.imul(i + 1, 2654435761) >>> 0;

function body() {
  const lines = [];
  let total = 0;
  for (let i = 0; i < rows; i++) total = (total + checksumOf(i)) >>> 0;
  const last = String(rows);
  lines.push(JSON.stringify({ checkpoint: { last_op_id: last, buckets: [{ bucket: BUCKET, checksum: total, count: rows, priority: 3 }] } }));
  for (let start = 0; start < rows; start += LINE) {
    const end = Math.min(rows, start + LINE);
    const data = [];
    for (let i = start; i < end; i++) {
      const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
      const row = { id, list_id: 'l1', description: `todo ${i} `.padEnd(80, 'x'), done: i % 2, n: i };
      data.push({ op_id: String(i + 1), op: 'PUT', object_type: 'todos', object_id: id, data: JSON.stringify(row), checksum: checksumOf(i) });
    }
    lines.push(JSON.stringify({ data: { bucket: BUCKET, data, has_more: end < rows, after: String(start), next_after: String(end) } }));
  }
  lines.push(JSON.stringify({ checkpoint_complete: { last_op_id: last } }));
  return lines.join('\n') + '\n';
}

const payload = Buffer.from(body());
const cors = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers': 'authorization, content-type, accept',
};
const server = createServer((req, res) => {
  if (req.method === 'OPTIONS') return res.writeHead(204, cors).end();
  if (!req.url.startsWith('/sync/stream')) return res.writeHead(404, cors).end();
  req.resume();
  res.writeHead(200, { ...cors, 'content-type': 'application/x-ndjson' });
  res.write(payload);
  // Like the real server, the stream stays open after the checkpoint; the client closes it.
});
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ endpoint: `http://127.0.0.1:${server.address().port}`, rows, bytes: payload.length }) + '\n');
});
