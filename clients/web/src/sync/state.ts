/**
 * The client's sync state machine (PROTOCOL.md §1–4, DESIGN.md "What a client does"). Pure: it
 * takes the current state and one event and returns the next state plus the actions the shell
 * must perform (open a stream, store ops, apply a checkpoint, wait, …). No I/O, no clock, no
 * randomness — the shell passes the time and a jitter value in with the events that need them.
 */
import { addChecksum, compareOpIds, type BucketChecksum, type Op, type StreamDescription, type SyncLine } from '../protocol/lines.js';
import { asPrepared, type PreparedCompact } from '../storage/compact-runs.js';

/** What the client holds of one bucket: resume position, running checksum and op count. */
export interface LocalBucket {
  after: string;
  checksum: number;
  count: number;
}

export interface Target {
  lastOpId: string;
  writeCheckpoint: string | null;
  buckets: Record<string, BucketChecksum>;
  /** The full checkpoint's `streams` list (Sync Streams), kept across diffs; null if it had none. */
  streams: StreamDescription[] | null;
}

export type Connection = 'disconnected' | 'connecting' | 'streaming' | 'waiting';

export interface SyncState {
  /** The app asked to be connected. */
  wanted: boolean;
  online: boolean;
  connection: Connection;
  buckets: Record<string, LocalBucket>;
  target: Target | null;
  /** Consecutive failed attempts, for the backoff. */
  attempt: number;
  /** The next open must fetch fresh credentials first (401 or expired token). */
  refreshCredentials: boolean;
  /** The upload queue is empty (local writes all sent). */
  crudEmpty: boolean;
  /** Write checkpoint the uploads produced; downloads wait until a checkpoint reaches it. */
  awaitingWriteCheckpoint: string | null;
  /** A checkpoint (or diff) has arrived and not completed yet: its data may be stored but unvalidated. */
  inProgress: boolean;
  /** Op id and write checkpoint of the last fully completed checkpoint. */
  completedOpId: string | null;
  completedWriteCheckpoint: string | null;
  opsReceived: number;
  opsTotal: number;
  lastError: string | null;
}

export type SyncEvent =
  | { type: 'start' }
  | { type: 'stop' }
  | { type: 'online'; online: boolean; jitter: number }
  | { type: 'opened' }
  | { type: 'line'; line: SyncLine }
  | { type: 'streamFailed'; status: number | null; message: string; jitter: number }
  | { type: 'streamEnded'; jitter: number }
  | { type: 'retry' }
  | { type: 'localWrite' }
  | { type: 'uploaded'; writeCheckpoint: string }
  /** The app's stream subscriptions changed the request: open a new stream with it now. */
  | { type: 'resubscribe' };

export type SyncAction =
  | { type: 'open'; buckets: { name: string; after: string }[]; refreshCredentials: boolean }
  | { type: 'close' }
  | { type: 'schedule'; delayMs: number }
  | { type: 'store'; bucket: string; ops: Op[]; compact: PreparedCompact | null; local: LocalBucket }
  | { type: 'removeBuckets'; buckets: string[] }
  | {
      type: 'apply';
      lastOpId: string;
      /** Buckets whose ops are validated by this (partial) checkpoint. */
      buckets: string[];
      priority: number | null;
      /** False while uploads are pending: positions advance, app tables wait (DESIGN.md §7). */
      applyRows: boolean;
      /** New resume positions (full checkpoints only). */
      positions: Record<string, LocalBucket> | null;
    }
  | { type: 'prefetchCredentials' }
  /** A full checkpoint listed the connection's streams: track them locally. */
  | { type: 'trackStreams'; streams: StreamDescription[] }
  | { type: 'protocolError'; message: string };

export interface Step {
  state: SyncState;
  actions: SyncAction[];
}

export const BACKOFF_BASE_MS = 500;
export const BACKOFF_MAX_MS = 30_000;
/** Below this many seconds left, fetch a fresh token in the background (PROTOCOL.md §3). */
export const TOKEN_PREFETCH_SECONDS = 30;

export function initialState(buckets: Record<string, LocalBucket>, crudEmpty: boolean): SyncState {
  return {
    wanted: false,
    online: true,
    connection: 'disconnected',
    buckets,
    target: null,
    attempt: 0,
    refreshCredentials: false,
    crudEmpty,
    awaitingWriteCheckpoint: null,
    inProgress: false,
    completedOpId: null,
    completedWriteCheckpoint: null,
    opsReceived: 0,
    opsTotal: 0,
    lastError: null,
  };
}

/** Jittered exponential backoff: base·2^attempt capped, scaled into [50 %, 100 %] by jitter ∈ [0, 1). */
export function backoffMs(attempt: number, jitter: number): number {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(attempt, 16));
  return Math.round(ceiling * (0.5 + 0.5 * jitter));
}

function open(state: SyncState): Step {
  const buckets = Object.entries(state.buckets)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, b]) => ({ name, after: b.after }));
  return {
    state: { ...state, connection: 'connecting', target: null, refreshCredentials: false },
    actions: [{ type: 'open', buckets, refreshCredentials: state.refreshCredentials }],
  };
}

function retryLater(state: SyncState, jitter: number, error: string | null, extra: SyncAction[] = []): Step {
  const next: SyncState = { ...state, connection: 'waiting', target: null, attempt: state.attempt + 1, lastError: error ?? state.lastError };
  if (!state.wanted || !state.online) {
    return { state: { ...next, connection: 'disconnected' }, actions: extra };
  }
  return { state: next, actions: [...extra, { type: 'schedule', delayMs: backoffMs(state.attempt, jitter) }] };
}

function canApplyRows(state: SyncState, writeCheckpoint: string | null): boolean {
  if (!state.crudEmpty) return false;
  if (state.awaitingWriteCheckpoint === null) return true;
  return writeCheckpoint !== null && compareOpIds(writeCheckpoint, state.awaitingWriteCheckpoint) >= 0;
}

function remaining(state: SyncState, target: Record<string, BucketChecksum>): number {
  let total = 0;
  for (const b of Object.values(target)) {
    const local = state.buckets[b.bucket];
    if (local === undefined || local.checksum !== b.checksum) total += Math.max(0, b.count - (local?.count ?? 0));
  }
  return total;
}

function withoutBuckets(buckets: Record<string, LocalBucket>, names: string[]): Record<string, LocalBucket> {
  const out = { ...buckets };
  for (const n of names) delete out[n];
  return out;
}

function complete(state: SyncState, lastOpId: string, priority: number | null): Step {
  const target = state.target;
  if (target === null) return protocolError(state, 'checkpoint_complete without a checkpoint');
  const covered = Object.values(target.buckets).filter((b) => priority === null || b.priority <= priority);
  const mismatched = covered
    .filter((b) => (state.buckets[b.bucket]?.checksum ?? 0) !== b.checksum)
    .map((b) => b.bucket)
    .sort();
  if (mismatched.length > 0) {
    // The bucket's local copy is wrong in a way we cannot repair: drop it and download it again.
    const message = `checksum mismatch in ${mismatched.join(', ')}; re-downloading`;
    return {
      state: {
        ...state,
        buckets: withoutBuckets(state.buckets, mismatched),
        connection: state.wanted ? 'waiting' : 'disconnected',
        target: null,
        lastError: message,
      },
      actions: [
        { type: 'removeBuckets', buckets: mismatched },
        { type: 'close' },
        ...(state.wanted ? [{ type: 'schedule', delayMs: 0 } as const] : []),
      ],
    };
  }
  const applyRows = canApplyRows(state, target.writeCheckpoint);
  let buckets = state.buckets;
  let positions: Record<string, LocalBucket> | null = null;
  if (priority === null) {
    positions = {};
    for (const name of Object.keys(target.buckets)) {
      const local = state.buckets[name] ?? { after: '0', checksum: 0, count: 0 };
      positions[name] = { ...local, after: lastOpId };
    }
    buckets = { ...state.buckets, ...positions };
  }
  const next: SyncState = {
    ...state,
    buckets,
    inProgress: priority === null ? false : state.inProgress,
    completedOpId: priority === null ? lastOpId : state.completedOpId,
    completedWriteCheckpoint: priority === null ? target.writeCheckpoint : state.completedWriteCheckpoint,
    attempt: 0,
    awaitingWriteCheckpoint: applyRows ? null : state.awaitingWriteCheckpoint,
    lastError: null,
  };
  return {
    state: next,
    actions: [{ type: 'apply', lastOpId, buckets: covered.map((b) => b.bucket).sort(), priority, applyRows, positions }],
  };
}

function protocolError(state: SyncState, message: string): Step {
  return retryLater(state, 0.5, message, [{ type: 'protocolError', message }, { type: 'close' }]);
}

function onLine(state: SyncState, line: SyncLine): Step {
  switch (line.kind) {
    case 'checkpoint': {
      const buckets: Record<string, BucketChecksum> = {};
      for (const b of line.buckets) buckets[b.bucket] = b;
      const gone = Object.keys(state.buckets).filter((n) => buckets[n] === undefined).sort();
      const kept = withoutBuckets(state.buckets, gone);
      const next: SyncState = {
        ...state,
        buckets: kept,
        target: {
          lastOpId: line.lastOpId,
          writeCheckpoint: line.writeCheckpoint ?? state.target?.writeCheckpoint ?? null,
          buckets,
          streams: line.streams,
        },
        inProgress: true,
        opsReceived: 0,
      };
      next.opsTotal = remaining(next, buckets);
      const actions: SyncAction[] = gone.length > 0 ? [{ type: 'removeBuckets', buckets: gone }] : [];
      if (line.streams !== null) actions.push({ type: 'trackStreams', streams: line.streams });
      return { state: next, actions };
    }
    case 'checkpoint_diff': {
      if (state.target === null) return protocolError(state, 'checkpoint_diff before any checkpoint');
      const buckets = { ...state.target.buckets };
      for (const b of line.updatedBuckets) buckets[b.bucket] = b;
      for (const n of line.removedBuckets) delete buckets[n];
      const gone = line.removedBuckets.filter((n) => state.buckets[n] !== undefined).sort();
      const next: SyncState = {
        ...state,
        buckets: withoutBuckets(state.buckets, line.removedBuckets),
        target: {
          lastOpId: line.lastOpId,
          writeCheckpoint: line.writeCheckpoint ?? state.target.writeCheckpoint,
          buckets,
          streams: state.target.streams,
        },
        inProgress: true,
        opsReceived: 0,
      };
      next.opsTotal = remaining(next, buckets);
      return { state: next, actions: gone.length > 0 ? [{ type: 'removeBuckets', buckets: gone }] : [] };
    }
    case 'data': {
      if (state.target === null || state.target.buckets[line.bucket] === undefined) {
        return protocolError(state, `data for bucket ${line.bucket} outside the current checkpoint`);
      }
      let local = state.buckets[line.bucket] ?? { after: '0', checksum: 0, count: 0 };
      let { checksum, count } = local;
      for (const op of line.ops) {
        if (compareOpIds(op.op_id, state.target.lastOpId) > 0) {
          return protocolError(state, `op ${op.op_id} of ${line.bucket} is beyond checkpoint ${state.target.lastOpId}`);
        }
        if (op.op === 'CLEAR') {
          checksum = 0;
          count = 0;
        }
        checksum = addChecksum(checksum, op.checksum);
        count += 1;
      }
      // Compact ops come prepared (storage/compact-runs.ts): their count, checksum and highest op id.
      const compact = line.compact === null ? null : asPrepared(line.compact);
      if (compact !== null) {
        const last = state.target.lastOpId;
        const id = compact.maxOpId;
        if (id !== null && (typeof id === 'number' && last.length < 16 ? id > Number(last) : compareOpIds(String(id), last) > 0)) {
          return protocolError(state, `op ${id} of ${line.bucket} is beyond checkpoint ${last}`);
        }
        if (compact.cleared) {
          checksum = 0;
          count = 0;
        }
        checksum = (checksum + compact.checksum) >>> 0;
        count += compact.count;
      }
      local = { after: line.nextAfter, checksum, count };
      const received = line.ops.length + (compact?.total ?? 0);
      return {
        state: { ...state, buckets: { ...state.buckets, [line.bucket]: local }, opsReceived: state.opsReceived + received },
        actions: [{ type: 'store', bucket: line.bucket, ops: line.ops, compact, local }],
      };
    }
    case 'checkpoint_complete':
      return complete(state, line.lastOpId, null);
    case 'partial_checkpoint_complete':
      return complete(state, line.lastOpId, line.priority);
    case 'token_expires_in':
      if (line.seconds <= 0) {
        // The server ends the stream now; reconnect at once with a fresh token.
        return {
          state: { ...state, connection: state.wanted ? 'waiting' : 'disconnected', target: null, refreshCredentials: true },
          actions: [{ type: 'close' }, ...(state.wanted ? [{ type: 'schedule', delayMs: 0 } as const] : [])],
        };
      }
      return { state, actions: line.seconds <= TOKEN_PREFETCH_SECONDS ? [{ type: 'prefetchCredentials' }] : [] };
  }
}

export function step(state: SyncState, event: SyncEvent): Step {
  switch (event.type) {
    case 'start': {
      const next = { ...state, wanted: true, attempt: 0 };
      if (state.connection !== 'disconnected' || !state.online) return { state: next, actions: [] };
      return open(next);
    }
    case 'stop':
      return {
        state: { ...state, wanted: false, connection: 'disconnected', target: null },
        actions: state.connection === 'disconnected' ? [] : [{ type: 'close' }],
      };
    case 'online': {
      if (event.online === state.online) return { state, actions: [] };
      if (!event.online) {
        return {
          state: { ...state, online: false, connection: 'disconnected', target: null },
          actions: state.connection === 'disconnected' ? [] : [{ type: 'close' }],
        };
      }
      const next = { ...state, online: true, attempt: 0 };
      return next.wanted && next.connection === 'disconnected' ? open(next) : { state: next, actions: [] };
    }
    case 'opened':
      return { state: { ...state, connection: 'streaming' }, actions: [] };
    case 'line':
      if (state.connection !== 'streaming' && state.connection !== 'connecting') return { state, actions: [] };
      return onLine({ ...state, connection: 'streaming' }, event.line);
    case 'streamFailed': {
      const unauthorized = event.status === 401;
      const failed = retryLater({ ...state, refreshCredentials: state.refreshCredentials || unauthorized }, event.jitter, event.message);
      return failed;
    }
    case 'streamEnded':
      if (state.connection === 'waiting' || state.connection === 'disconnected') return { state, actions: [] };
      return retryLater(state, event.jitter, null);
    case 'retry':
      if (!state.wanted || !state.online || state.connection !== 'waiting') return { state, actions: [] };
      return open(state);
    case 'localWrite':
      return { state: { ...state, crudEmpty: false }, actions: [] };
    case 'resubscribe':
      // A stream in flight (or being opened) carries the old subscriptions: replace it at once.
      // Waiting for a retry or disconnected: the next open sends the new ones anyway.
      if (!state.wanted || !state.online || (state.connection !== 'streaming' && state.connection !== 'connecting')) {
        return { state, actions: [] };
      }
      {
        const reopened = open({ ...state, attempt: 0 });
        return { state: reopened.state, actions: [{ type: 'close' }, ...reopened.actions] };
      }
    case 'uploaded': {
      const next = { ...state, crudEmpty: true, awaitingWriteCheckpoint: event.writeCheckpoint };
      const reached = state.completedWriteCheckpoint !== null && compareOpIds(state.completedWriteCheckpoint, event.writeCheckpoint) >= 0;
      if (!reached || state.inProgress) return { state: next, actions: [] };
      // The checkpoint carrying this write checkpoint completed before the upload's answer was
      // handled (an idle server sends no other): apply what it held now rather than never.
      return {
        state: { ...next, awaitingWriteCheckpoint: null },
        actions: [{ type: 'apply', lastOpId: state.completedOpId ?? '0', buckets: [], priority: null, applyRows: true, positions: null }],
      };
    }
  }
}
