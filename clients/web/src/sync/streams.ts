/**
 * Sync Streams on the client (PROTOCOL.md §9), pure: which subscriptions a connection requests,
 * and what each locally tracked subscription's status is given the checkpoint the server sent.
 * The semantics follow PowerSync's SDK core (ps_stream_subscriptions): a row with a `ttl` is an
 * explicit subscription and is requested until it expires; a row without one is a default
 * (`auto_subscribe`) stream the server listed; an explicit subscription's expiry is pushed forward
 * while the app holds a handle on it, and starts running down when the last handle is released.
 */
import type { BucketChecksum, StreamDescription } from '../protocol/lines.js';

/** The default time to live of an explicit subscription, in seconds: one day, as in PowerSync. */
export const DEFAULT_TTL_SECONDS = 60 * 60 * 24;

/** A row of sl_stream_subscriptions. Times are ms since the epoch. */
export interface LocalSubscription {
  id: number;
  name: string;
  /** The subscription parameters as JSON text; 'null' when there are none. */
  params: string;
  /** The server listed this stream in the last full checkpoint. */
  active: boolean;
  isDefault: boolean;
  /** Priority the app asked for (subscribe({priority})), sent as override_priority. */
  localPriority: number | null;
  /** Seconds; null for a default subscription the app never subscribed to explicitly. */
  ttl: number | null;
  expiresAt: number | null;
  lastSyncedAt: number | null;
}

/** The request's `streams` field, and which local row each subscription index stands for. */
export interface StreamRequest {
  body: {
    include_defaults: boolean;
    subscriptions: { stream: string; parameters: Record<string, unknown> | null; override_priority: number | null }[];
  };
  ids: number[];
}

/** A stream subscription as the app sees it (PowerSync's SyncSubscriptionDescription). */
export interface SyncSubscriptionDescription {
  name: string;
  parameters: Record<string, unknown> | null;
  active: boolean;
  isDefault: boolean;
  hasExplicitSubscription: boolean;
  /**
   * When an explicit subscription will be dropped unless subscribed again (ms since epoch): pushed
   * forward while a handle holds it, running down once none does; null for default ones.
   */
  expiresAt: number | null;
  hasSynced: boolean;
  lastSyncedAt: number | null;
}

/** Status of one subscription (PowerSync's SyncStreamStatus, plus the server's errors for it). */
export interface SyncStreamStatus {
  subscription: SyncSubscriptionDescription;
  /** Highest priority (lowest number) of the buckets the subscription brought in, null if none. */
  priority: number | null;
  /** Ops held of the ops its buckets hold, while a checkpoint is downloading; otherwise null. */
  progress: { downloadedOperations: number; totalOperations: number; downloadedFraction: number } | null;
  /** Messages the server reported for this subscription (unknown stream, bad parameters, …). */
  errors: string[];
}

export function paramsKey(params: Record<string, unknown> | null | undefined): string {
  return params === undefined || params === null ? 'null' : JSON.stringify(params);
}

/** The request for a connection: every explicit (ttl set) subscription, in row order. */
export function streamRequest(rows: readonly LocalSubscription[], includeDefaults = true): StreamRequest {
  const explicit = rows.filter((r) => r.ttl !== null).sort((a, b) => a.id - b.id);
  return {
    body: {
      include_defaults: includeDefaults,
      subscriptions: explicit.map((r) => ({
        stream: r.name,
        parameters: r.params === 'null' ? null : (JSON.parse(r.params) as Record<string, unknown>),
        override_priority: r.localPriority,
      })),
    },
    ids: explicit.map((r) => r.id),
  };
}

/** The earliest expiry of an explicit subscription that no handle holds, or null. */
export function nextExpiry(rows: readonly LocalSubscription[], held: ReadonlySet<string>): number | null {
  let next: number | null = null;
  for (const r of rows) {
    if (r.ttl === null || r.expiresAt === null || held.has(subscriptionKey(r.name, r.params))) continue;
    if (next === null || r.expiresAt < next) next = r.expiresAt;
  }
  return next;
}

export function subscriptionKey(name: string, params: string): string {
  return `${name}\u0000${params}`;
}

/** What the connection's checkpoint says about the subscriptions: row id → buckets and errors. */
export interface Resolution {
  buckets: Map<number, BucketChecksum[]>;
  errors: Map<number, string[]>;
}

/**
 * Associates the checkpoint's buckets and errors with local rows, as PowerSync's core does: a
 * `{sub: i}` reason names the request's i-th subscription (`requestedIds[i]`), a `{default: k}`
 * reason the default row of the checkpoint's k-th stream (one without an explicit subscription).
 */
export function resolve(
  rows: readonly LocalSubscription[],
  requestedIds: readonly number[],
  streams: readonly StreamDescription[] | null,
  buckets: Iterable<BucketChecksum>,
): Resolution {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const defaultRow = (k: number): LocalSubscription | undefined => {
    const s = streams?.[k];
    return s === undefined ? undefined : rows.find((r) => r.name === s.name && r.ttl === null);
  };
  const out: Resolution = { buckets: new Map(), errors: new Map() };
  for (const b of buckets) {
    for (const reason of b.subscriptions) {
      const row = 'sub' in reason ? byId.get(requestedIds[reason.sub] ?? -1) : defaultRow(reason.default);
      if (row === undefined) continue;
      const list = out.buckets.get(row.id) ?? [];
      list.push(b);
      out.buckets.set(row.id, list);
    }
  }
  streams?.forEach((s, k) => {
    for (const e of s.errors) {
      const row = e.subscription === 'default' ? defaultRow(k) : byId.get(requestedIds[e.subscription] ?? -1);
      if (row === undefined) continue;
      out.errors.set(row.id, [...(out.errors.get(row.id) ?? []), e.message]);
    }
  });
  return out;
}

/** The priority of a subscription: the highest (lowest number) of its buckets, null without any. */
export function subscriptionPriority(buckets: readonly BucketChecksum[] | undefined): number | null {
  if (buckets === undefined || buckets.length === 0) return null;
  return Math.min(...buckets.map((b) => b.priority));
}

/**
 * Rows a (partial) checkpoint apply counts as synced: those the connection requested or the
 * server's default streams brought in, whose priority the apply covers (all of them for a full
 * checkpoint; for a partial one only those with buckets of that priority or higher), unless the
 * server reported an error for them. A row
 * subscribed after the connection opened is not among them: it waits for its own checkpoint.
 */
export function syncedBy(
  rows: readonly LocalSubscription[],
  requestedIds: readonly number[],
  resolution: Resolution,
  priority: number | null,
): number[] {
  const requested = new Set(requestedIds);
  return rows
    .filter((r) => requested.has(r.id) || (r.ttl === null && r.active))
    // A subscription the server refused (unknown stream, bad parameters) has not synced.
    .filter((r) => !resolution.errors.has(r.id))
    .filter((r) => {
      if (priority === null) return true;
      const p = subscriptionPriority(resolution.buckets.get(r.id));
      return p !== null && p <= priority;
    })
    .map((r) => r.id);
}

export function streamStatus(
  row: LocalSubscription,
  resolution: Resolution,
  local: Record<string, { count: number }>,
  downloading: boolean,
): SyncStreamStatus {
  const buckets = resolution.buckets.get(row.id);
  let progress: SyncStreamStatus['progress'] = null;
  if (downloading && buckets !== undefined) {
    let total = 0;
    let done = 0;
    for (const b of buckets) {
      total += b.count;
      done += Math.min(b.count, local[b.bucket]?.count ?? 0);
    }
    progress = { downloadedOperations: done, totalOperations: total, downloadedFraction: total === 0 ? 1 : done / total };
  }
  return {
    subscription: {
      name: row.name,
      parameters: row.params === 'null' ? null : (JSON.parse(row.params) as Record<string, unknown>),
      active: row.active,
      isDefault: row.isDefault,
      hasExplicitSubscription: row.ttl !== null,
      expiresAt: row.ttl === null ? null : row.expiresAt,
      hasSynced: row.lastSyncedAt !== null,
      lastSyncedAt: row.lastSyncedAt,
    },
    priority: subscriptionPriority(buckets),
    progress,
    errors: resolution.errors.get(row.id) ?? [],
  };
}
