/**
 * Reads a sync stream into parsed, prepared sync lines (protocol/lines.ts parseLine, prepareLine):
 * on a download thread of its own where the browser gives one (a nested dedicated worker running
 * this same script, see runDownloadWorker), else on the calling thread.
 *
 * Why a thread of its own: the database worker answers the page's queries between the steps of a
 * sync, so each step it takes is a wait for a query (P6). Reading the response (the fetch body's
 * data pipe), splitting it into lines, JSON.parse of a ~250 KB line and preparing its ops (sorted,
 * re-serialised in chunks) were its longest steps — 3 to 30 ms each, dozens per 100k-row first
 * sync, plus the garbage they left. On the download thread they overlap with the store, and the
 * database worker receives each line with its chunks as transferred bytes. It reads ahead at most
 * MAX_UNACKED lines (bounded memory: it waits for the database worker to take them).
 */
import { parseLine, prepareLine, type SyncLine } from '../protocol/lines.js';
import { chunkBuffers } from '../storage/compact-runs.js';
import { ndjsonLines } from '../sync/ndjson.js';

export interface StreamRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface LineStream {
  ok: boolean;
  status: number;
  /** The body of a response that is not ok (empty when it could not be read). */
  errorText: string;
  lines: AsyncIterable<SyncLine>;
}

export type OpenLines = (request: StreamRequest, signal: AbortSignal) => Promise<LineStream>;

/** The worker name that makes worker.ts run as the download thread. */
export const DOWNLOAD_WORKER_NAME = 'syncline-download';

/** Lines the download thread reads ahead of the database worker at most (~250 KB each at most, compact). */
export const MAX_UNACKED = 8;

async function* linesOf(body: ReadableStream<Uint8Array>): AsyncGenerator<SyncLine> {
  for await (const value of ndjsonLines(body)) yield prepareLine(parseLine(value));
}

/** On this thread. */
export const openLinesHere: OpenLines = async (request, signal) => {
  const response = await fetch(request.url, { method: 'POST', headers: request.headers, body: request.body, signal });
  if (!response.ok || response.body === null) {
    return { ok: false, status: response.status, errorText: await response.text().catch(() => ''), lines: (async function* () {})() };
  }
  return { ok: true, status: response.status, errorText: '', lines: linesOf(response.body) };
};

// --- messages between the database worker and the download thread ------------------------------

type ToDownload =
  | { open: number; request: StreamRequest }
  | { abort: number }
  | { ack: number; lines: number };

type FromDownload =
  | { response: number; ok: boolean; status: number; errorText: string }
  | { line: number; value: SyncLine }
  | { end: number }
  | { error: number; message: string };

interface OpenStream {
  opened: { resolve: (s: LineStream) => void; reject: (e: Error) => void };
  queue: SyncLine[];
  done: boolean;
  error: Error | null;
  wake: (() => void) | null;
}

/**
 * The database worker's side: opens streams on a download thread. `create` makes the worker; when
 * it cannot be made (no nested workers) or fails to start, every stream is read on this thread.
 * `startNow`: the thread is made at once rather than at the first stream, so that its start (it
 * loads and evaluates this script again: ~0.15 s on a slow machine) overlaps the database's opening
 * instead of delaying the first sync.
 */
export function downloadThread(create: () => Worker, startNow = false): OpenLines {
  let worker: Worker | null = null;
  let broken = false;
  let next = 1;
  const streams = new Map<number, OpenStream>();
  const failAll = (e: Error) => {
    for (const s of streams.values()) {
      s.opened.reject(e);
      s.error = e;
      s.wake?.();
    }
    streams.clear();
  };
  const start = (): Worker | null => {
    if (worker !== null || broken) return worker;
    try {
      worker = create();
    } catch (e) {
      console.warn(`[syncline] no download thread, the sync stream is read on the database worker: ${(e as Error).message}`);
      broken = true;
      return null;
    }
    worker.onerror = (e) => {
      e.preventDefault();
      console.warn(`[syncline] the download thread failed, the sync stream is read on the database worker from now on: ${e.message}`);
      broken = true;
      worker?.terminate();
      worker = null;
      failAll(new Error(`download thread failed: ${e.message || 'could not start'}`));
    };
    worker.onmessage = (event: MessageEvent<FromDownload>) => {
      const m = event.data;
      const id = 'response' in m ? m.response : 'line' in m ? m.line : 'end' in m ? m.end : m.error;
      const s = streams.get(id);
      if (s === undefined) return;
      if ('response' in m) {
        s.opened.resolve({ ok: m.ok, status: m.status, errorText: m.errorText, lines: iterate(id, s) });
        if (!m.ok) streams.delete(id);
        return;
      }
      if ('line' in m) s.queue.push(m.value);
      else if ('end' in m) s.done = true;
      else {
        s.error = new Error(m.message);
        s.opened.reject(s.error);
      }
      s.wake?.();
    };
    return worker;
  };
  const send = (m: ToDownload) => worker?.postMessage(m);
  if (startNow) start();
  async function* iterate(id: number, s: OpenStream): AsyncGenerator<SyncLine> {
    try {
      for (;;) {
        if (s.queue.length > 0) {
          const line = s.queue.shift()!;
          send({ ack: id, lines: 1 });
          yield line;
          continue;
        }
        if (s.error !== null) throw s.error;
        if (s.done) return;
        await new Promise<void>((r) => (s.wake = r));
        s.wake = null;
      }
    } finally {
      if (streams.delete(id) && !s.done && s.error === null) send({ abort: id });
    }
  }
  return (request, signal) => {
    const w = start();
    if (w === null) return openLinesHere(request, signal);
    const id = next++;
    return new Promise<LineStream>((resolve, reject) => {
      const s: OpenStream = { opened: { resolve, reject }, queue: [], done: false, error: null, wake: null };
      streams.set(id, s);
      signal.addEventListener('abort', () => {
        if (!streams.delete(id)) return;
        send({ abort: id });
        s.queue.length = 0; // nothing more reaches the reader
        s.error = new DOMException('the sync stream was aborted', 'AbortError');
        reject(s.error);
        s.wake?.();
      }, { once: true });
      send({ open: id, request });
    });
  };
}

/** The download thread: runs in a worker named DOWNLOAD_WORKER_NAME (worker.ts starts it so). */
export function runDownloadWorker(scope: DedicatedWorkerGlobalScope): void {
  const aborts = new Map<number, AbortController>();
  const unacked = new Map<number, { n: number; wake: (() => void) | null }>();
  const post = (m: FromDownload, transfer: Transferable[] = []) => scope.postMessage(m, transfer);
  scope.onmessage = (event: MessageEvent<ToDownload>) => {
    const m = event.data;
    if ('abort' in m) {
      aborts.get(m.abort)?.abort();
      const u = unacked.get(m.abort);
      u?.wake?.();
    } else if ('ack' in m) {
      const u = unacked.get(m.ack);
      if (u === undefined) return;
      u.n -= m.lines;
      u.wake?.();
    } else {
      void read(m.open, m.request);
    }
  };
  async function read(id: number, request: StreamRequest): Promise<void> {
    const abort = new AbortController();
    aborts.set(id, abort);
    const u = { n: 0, wake: null as (() => void) | null };
    unacked.set(id, u);
    try {
      const stream = await openLinesHere(request, abort.signal);
      post({ response: id, ok: stream.ok, status: stream.status, errorText: stream.errorText });
      if (!stream.ok) return;
      for await (const value of stream.lines) {
        if (abort.signal.aborted) return;
        // The chunks' bytes move to the database worker (transferred, not copied).
        post({ line: id, value }, value.kind === 'data' && value.compact !== null && 'prepared' in value.compact ? chunkBuffers(value.compact) : []);
        u.n++;
        while (u.n >= MAX_UNACKED && !abort.signal.aborted) {
          await new Promise<void>((r) => (u.wake = r));
          u.wake = null;
        }
      }
      if (!abort.signal.aborted) post({ end: id });
    } catch (e) {
      if (!abort.signal.aborted) post({ error: id, message: (e as Error).message });
    } finally {
      aborts.delete(id);
      unacked.delete(id);
    }
  }
}
