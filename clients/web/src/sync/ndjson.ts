/**
 * Splits a byte stream into NDJSON values, one line at a time (memory bounded by the longest line).
 * Newlines are found in the bytes and each line is decoded once, whole: a first sync's lines are
 * ~200 KB and span several network chunks, and appending decoded chunks to a string and searching
 * it again after each chunk cost more than parsing the lines.
 */
export async function* ndjsonLines(body: ReadableStream<Uint8Array>): AsyncGenerator<unknown> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  // The unfinished line's bytes (the tails of earlier chunks).
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const take = (tail: Uint8Array): Uint8Array => {
    if (pending.length === 0) return tail;
    const line = new Uint8Array(pendingBytes + tail.length);
    let at = 0;
    for (const part of pending) {
      line.set(part, at);
      at += part.length;
    }
    line.set(tail, at);
    pending = [];
    pendingBytes = 0;
    return line;
  };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      let start = 0;
      for (let nl = value.indexOf(10); nl >= 0; nl = value.indexOf(10, start)) {
        const text = decoder.decode(take(value.subarray(start, nl)));
        start = nl + 1;
        if (!/^\s*$/.test(text)) yield JSON.parse(text);
      }
      if (start < value.length) {
        pending.push(value.subarray(start));
        pendingBytes += value.length - start;
      }
    }
    const text = decoder.decode(take(new Uint8Array(0)));
    if (!/^\s*$/.test(text)) yield JSON.parse(text);
  } finally {
    reader.releaseLock();
  }
}
