// ndjsonLines splits bytes, not strings: lines spanning chunks, a multi-byte character cut by a
// chunk boundary, blank lines and a last line without a newline all come out whole.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ndjsonLines } from '../src/sync/ndjson.js';

async function read(chunks: Uint8Array[]): Promise<unknown[]> {
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      for (const chunk of chunks) c.enqueue(chunk);
      c.close();
    },
  });
  const out: unknown[] = [];
  for await (const v of ndjsonLines(body)) out.push(v);
  return out;
}

test('lines come out whole however the bytes are chunked', async () => {
  const values = [{ a: 1 }, { rows: { ops: [[1, 2, 0, 'b1', ['ü€𝄞', null]]] } }, { c: 'x'.repeat(1000) }, 7];
  const text = `${JSON.stringify(values[0])}\n\n${JSON.stringify(values[1])}\r\n${JSON.stringify(values[2])}\n  \n${JSON.stringify(values[3])}`;
  const bytes = new TextEncoder().encode(text);
  for (const size of [1, 2, 3, 7, 64, bytes.length]) {
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.slice(i, i + size));
    assert.deepEqual(await read(chunks), values, `chunks of ${size} bytes`);
  }
  assert.deepEqual(await read([new TextEncoder().encode('{"x":1}\n')]), [{ x: 1 }]);
  assert.deepEqual(await read([]), []);
});
