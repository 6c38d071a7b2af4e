// Reading the sync stream on a download thread (worker/line-source.ts), over a real HTTP server: the
// database side gets parsed, prepared lines; the download side reads at most MAX_UNACKED lines
// ahead; leaving the loop aborts the request; without a download thread the stream is read here.
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { SyncLine } from '../src/protocol/lines.js';
import { downloadThread, MAX_UNACKED, runDownloadWorker, type LineStream } from '../src/worker/line-source.js';

const SHAPES = [['todos', ['id', 'description']]];

/** n data lines of 3 compact PUTs each, then checkpoint_complete; `hold` keeps the response open after `holdAfter` lines. */
async function server(n: number, opts: { status?: number; holdAfter?: number } = {}) {
  const closed: Promise<void>[] = [];
  const srv = createServer((req, res: ServerResponse) => {
    closed.push(new Promise((r) => res.on('close', () => r())));
    if (opts.status !== undefined) {
      res.writeHead(opts.status, { 'content-type': 'text/plain' }).end('no such bucket');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    res.write(JSON.stringify({ checkpoint: { last_op_id: String(3 * n), buckets: [{ bucket: 'b', checksum: 0, count: 3 * n }] } }) + '\n');
    for (let i = 0; i < n; i++) {
      if (opts.holdAfter !== undefined && i === opts.holdAfter) return; // stays open
      const ops = [0, 1, 2].map((k) => [3 * i + k + 1, 1, 0, `r${3 * i + k}`, [`r${3 * i + k}`, 'x'.repeat(100)], 0]);
      res.write(JSON.stringify({ rows: { bucket: 'b', after: String(3 * i), next_after: String(3 * i + 3), has_more: i < n - 1, ops, shapes: SHAPES } }) + '\n');
    }
    res.end(JSON.stringify({ checkpoint_complete: { last_op_id: String(3 * n) } }) + '\n');
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/sync/stream`, closed, close: () => new Promise((r) => srv.close(r)) };
}

/**
 * A download thread in this process: runDownloadWorker on one end of a MessageChannel, the other
 * end standing in for the Worker object. Counts the lines it has posted.
 */
function fakeThread() {
  const channel = new MessageChannel();
  let posted = 0;
  const scope = {
    postMessage: (m: { line?: number }) => {
      if ('line' in m) posted++;
      channel.port1.postMessage(m);
    },
    set onmessage(f: (e: MessageEvent) => void) {
      channel.port1.onmessage = f;
    },
  };
  runDownloadWorker(scope as unknown as DedicatedWorkerGlobalScope);
  const worker = {
    postMessage: (m: unknown) => channel.port2.postMessage(m),
    set onmessage(f: (e: MessageEvent) => void) {
      channel.port2.onmessage = f;
    },
    onerror: null,
    terminate: () => channel.port1.close(),
  };
  return { worker: worker as unknown as Worker, posted: () => posted, close: () => { channel.port1.close(); channel.port2.close(); } };
}

const request = (url: string) => ({ url, headers: { 'content-type': 'application/json' }, body: '{}' });

test('lines arrive parsed and prepared, never more than MAX_UNACKED ahead of the reader', async () => {
  const srv = await server(40);
  const thread = fakeThread();
  try {
    const stream = await downloadThread(() => thread.worker)(request(srv.url), new AbortController().signal);
    assert.equal(stream.ok, true);
    const kinds: string[] = [];
    let taken = 0;
    let most = 0;
    for await (const line of stream.lines) {
      kinds.push(line.kind);
      if (line.kind === 'data') {
        assert.ok(line.compact !== null && 'prepared' in line.compact, 'prepared on the download side');
        assert.equal(line.compact.total, 3);
        taken++;
      }
      // Slow reader: the download side has had time to run ahead as far as it may.
      await new Promise((r) => setTimeout(r, 5));
      most = Math.max(most, thread.posted() - (kinds.length));
    }
    assert.equal(taken, 40);
    assert.deepEqual([kinds[0], kinds.at(-1)], ['checkpoint', 'checkpoint_complete']);
    assert.ok(most <= MAX_UNACKED, `the download side ran ${most} lines ahead`);
    assert.ok(most >= MAX_UNACKED - 1, `it did read ahead (${most} lines)`);
  } finally {
    thread.close();
    await srv.close();
  }
});

test('leaving the loop early aborts the request on the download side', async () => {
  const srv = await server(10, { holdAfter: 5 });
  const thread = fakeThread();
  try {
    const stream = await downloadThread(() => thread.worker)(request(srv.url), new AbortController().signal);
    let n = 0;
    for await (const _ of stream.lines) if (++n === 3) break;
    await srv.closed[0]; // the server saw the connection go: would hang without the abort
  } finally {
    thread.close();
    await srv.close();
  }
});

test('an error status comes back with its body; an abort signal ends a stream that waits for lines', async () => {
  const bad = await server(1, { status: 404 });
  const held = await server(10, { holdAfter: 2 });
  const thread = fakeThread();
  try {
    const open = downloadThread(() => thread.worker);
    const r: LineStream = await open(request(bad.url), new AbortController().signal);
    assert.deepEqual([r.ok, r.status, r.errorText], [false, 404, 'no such bucket']);
    const abort = new AbortController();
    const stream = await open(request(held.url), abort.signal);
    const seen: SyncLine[] = [];
    await assert.rejects((async () => {
      for await (const line of stream.lines) {
        seen.push(line);
        if (seen.length === 3) abort.abort();
      }
    })(), { name: 'AbortError' });
    assert.equal(seen.length, 3);
    await held.closed[0];
  } finally {
    thread.close();
    await bad.close();
    await held.close();
  }
});

test('without a download thread the stream is read on this thread, prepared the same way', async () => {
  const srv = await server(3);
  const warn = console.warn;
  const warnings: string[] = [];
  console.warn = (m: string) => warnings.push(m);
  try {
    const open = downloadThread(() => {
      throw new Error('nested workers are not supported');
    });
    const stream = await open(request(srv.url), new AbortController().signal);
    const lines: SyncLine[] = [];
    for await (const line of stream.lines) lines.push(line);
    assert.equal(lines.length, 5);
    assert.ok(lines.filter((l) => l.kind === 'data').every((l) => l.kind === 'data' && l.compact !== null && 'prepared' in l.compact));
    assert.match(warnings.join('\n'), /no download thread.*nested workers are not supported/);
  } finally {
    console.warn = warn;
    await srv.close();
  }
});

test('startNow makes the download thread at once, not at the first stream', () => {
  let made = 0;
  const thread = fakeThread();
  try {
    downloadThread(() => (made++, thread.worker), true);
    assert.equal(made, 1);
    downloadThread(() => (made++, thread.worker));
    assert.equal(made, 1, 'without it, only when a stream opens');
  } finally {
    thread.close();
  }
});
