/**
 * Sync Streams on the page, with PowerSync's API shape: `db.syncStream(name, params)` is a
 * SyncStream; `subscribe({ttl, priority})` returns a SyncStreamSubscription the app keeps as long
 * as it needs the stream's rows. The worker tracks the subscription (storage/stream-subscriptions.ts)
 * and reconnects with the new request; `unsubscribe()` releases the handle, and once no handle in
 * any tab holds the subscription its TTL runs down, after which the stream leaves the request and
 * its rows are removed.
 */
import type { SyncStatus } from '../protocol/rpc.js';
import { paramsKey, type SyncStreamStatus } from '../sync/streams.js';

export interface SyncStreamDescription {
  name: string;
  parameters: Record<string, unknown> | null;
}

export interface SyncStreamSubscribeOptions {
  /** Seconds the stream's rows stay after the last handle is released (default: one day). */
  ttl?: number;
  /** Overrides the stream's priority for this subscription (0 is synced first). */
  priority?: 0 | 1 | 2 | 3;
}

export interface SyncStreamSubscription extends SyncStreamDescription {
  /**
   * Resolves once the stream's data has been synced and applied; rejects when the server reports
   * an error for this subscription (unknown stream, bad parameters) or when `signal` aborts.
   */
  waitForFirstSync(signal?: AbortSignal): Promise<void>;
  /** Releases this handle; the TTL starts once no handle holds the subscription. */
  unsubscribe(): void;
}

export interface SyncStream extends SyncStreamDescription {
  subscribe(options?: SyncStreamSubscribeOptions): Promise<SyncStreamSubscription>;
  /** Drops the explicit subscription at once, whatever handles (in any tab) hold it. */
  unsubscribeAll(): Promise<void>;
}

/** The status as the page sees it: the worker's, plus PowerSync's `forStream` lookup. */
export type SyncStatusView = SyncStatus & {
  /** The status of the subscription to `stream` with the same name and parameters, if tracked. */
  forStream(stream: SyncStreamDescription): SyncStreamStatus | undefined;
};

export function withForStream(status: SyncStatus): SyncStatusView {
  const view = { ...status } as SyncStatusView;
  // Not enumerable: the status stays plain data when logged, cloned or serialised.
  Object.defineProperty(view, 'forStream', {
    enumerable: false,
    value: (stream: SyncStreamDescription) => {
      const key = paramsKey(stream.parameters);
      return status.syncStreams.find((s) => s.subscription.name === stream.name && paramsKey(s.subscription.parameters) === key);
    },
  });
  return view;
}

/** What the database offers the stream objects. */
export interface StreamHost {
  call(method: 'subscribe', handle: string, name: string, params: Record<string, unknown> | null, ttl: number | null, priority: number | null): Promise<void>;
  call(method: 'unsubscribe', handle: string): Promise<void>;
  call(method: 'unsubscribeAll', name: string, params: Record<string, unknown> | null): Promise<void>;
  readonly currentStatus: SyncStatusView;
  onStatus(listener: (s: SyncStatusView) => void): () => void;
  /** Handles this page holds, replayed to a new leader tab's worker. */
  readonly handles: Map<string, { name: string; params: Record<string, unknown> | null; ttl: number | null; priority: number | null }>;
  newHandleId(): string;
}

export function syncStream(host: StreamHost, name: string, params?: Record<string, unknown> | null): SyncStream {
  const parameters = params ?? null;
  return {
    name,
    parameters,
    async subscribe(options: SyncStreamSubscribeOptions = {}) {
      const handle = host.newHandleId();
      const entry = { name, params: parameters, ttl: options.ttl ?? null, priority: options.priority ?? null };
      await host.call('subscribe', handle, name, parameters, entry.ttl, entry.priority);
      host.handles.set(handle, entry);
      let released = false;
      return {
        name,
        parameters,
        waitForFirstSync: (signal?: AbortSignal) => waitForFirstSync(host, { name, parameters }, signal),
        unsubscribe() {
          if (released) return;
          released = true;
          host.handles.delete(handle);
          host.call('unsubscribe', handle).catch((e) => console.warn('[syncline] unsubscribe failed', e));
        },
      };
    },
    async unsubscribeAll() {
      const key = paramsKey(parameters);
      for (const [h, e] of [...host.handles]) if (e.name === name && paramsKey(e.params) === key) host.handles.delete(h);
      await host.call('unsubscribeAll', name, parameters);
    },
  };
}

function waitForFirstSync(host: StreamHost, stream: SyncStreamDescription, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let stop: () => void = () => undefined;
    const finish = (error: Error | null) => {
      stop();
      signal?.removeEventListener('abort', onAbort);
      if (error === null) resolve();
      else reject(error);
    };
    const onAbort = () => finish(new Error('waitForFirstSync aborted'));
    const check = (s: SyncStatusView): boolean => {
      const st = s.forStream(stream);
      // Errors first: they come with the checkpoint, before anything of it is applied.
      if (st !== undefined && st.errors.length > 0) {
        finish(new Error(`SYNC_STREAM_ERROR: the server refused the subscription to stream ${stream.name} `
          + `${JSON.stringify(stream.parameters)}: ${st.errors.join('; ')} — check the stream name and parameters against the sync config`));
        return true;
      }
      if (st?.subscription.hasSynced) {
        finish(null);
        return true;
      }
      return false;
    };
    if (signal?.aborted) return onAbort();
    if (check(host.currentStatus)) return;
    stop = host.onStatus((s) => void check(s));
    signal?.addEventListener('abort', onAbort);
  });
}
