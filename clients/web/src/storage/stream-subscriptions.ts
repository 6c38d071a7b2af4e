/**
 * sl_stream_subscriptions: the Sync Streams subscriptions this database tracks, persisted so an
 * unsubscribed stream keeps its rows until its TTL has run out — also across reloads — as
 * PowerSync's ps_stream_subscriptions does. See sync/streams.ts for the semantics.
 */
import type { StreamDescription } from '../protocol/lines.js';
import { subscriptionKey, type LocalSubscription } from '../sync/streams.js';
import { transaction, type SqlDb } from './sql-db.js';

export const STREAM_SUBSCRIPTIONS_DDL = `CREATE TABLE IF NOT EXISTS sl_stream_subscriptions (
  id INTEGER PRIMARY KEY AUTOINCREMENT, stream_name TEXT NOT NULL, params TEXT NOT NULL DEFAULT 'null',
  active INTEGER NOT NULL DEFAULT 0, is_default INTEGER NOT NULL DEFAULT 0, local_priority INTEGER,
  ttl INTEGER, expires_at INTEGER, last_synced_at INTEGER, UNIQUE (stream_name, params))`;

export function loadSubscriptions(db: SqlDb): LocalSubscription[] {
  return db
    .all('SELECT id, stream_name, params, active, is_default, local_priority, ttl, expires_at, last_synced_at FROM sl_stream_subscriptions ORDER BY id')
    .map((r) => ({
      id: Number(r['id']),
      name: String(r['stream_name']),
      params: String(r['params']),
      active: Number(r['active']) === 1,
      isDefault: Number(r['is_default']) === 1,
      localPriority: r['local_priority'] === null ? null : Number(r['local_priority']),
      ttl: r['ttl'] === null ? null : Number(r['ttl']),
      expiresAt: r['expires_at'] === null ? null : Number(r['expires_at']),
      lastSyncedAt: r['last_synced_at'] === null ? null : Number(r['last_synced_at']),
    }));
}

/** subscribe(): the row gets this TTL and expires TTL from now; a priority only ever raises it. */
export function subscribe(db: SqlDb, name: string, params: string, ttlSeconds: number, priority: number | null, now: number): void {
  db.run(
    `INSERT INTO sl_stream_subscriptions (stream_name, params, local_priority, ttl, expires_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (stream_name, params) DO UPDATE SET
       local_priority = min(coalesce(excluded.local_priority, local_priority), coalesce(local_priority, excluded.local_priority)),
       ttl = excluded.ttl, expires_at = excluded.expires_at`,
    [name, params, priority, ttlSeconds, now + ttlSeconds * 1000],
  );
}

/** unsubscribeAll(): no longer an explicit subscription (dropped at the next request unless default). */
export function unsubscribeAll(db: SqlDb, name: string, params: string): void {
  db.run('UPDATE sl_stream_subscriptions SET ttl = NULL WHERE stream_name = ? AND params = ?', [name, params]);
}

/** Pushes the expiry of the subscriptions handles hold to TTL from now. */
export function extendHeld(db: SqlDb, held: ReadonlySet<string>, now: number): void {
  if (held.size === 0) return;
  for (const row of loadSubscriptions(db)) {
    if (row.ttl !== null && held.has(subscriptionKey(row.name, row.params))) {
      db.run('UPDATE sl_stream_subscriptions SET expires_at = ? WHERE id = ?', [now + row.ttl * 1000, row.id]);
    }
  }
}

/** The last handle on a subscription was released: its TTL starts running now. */
export function release(db: SqlDb, name: string, params: string, now: number): void {
  db.run('UPDATE sl_stream_subscriptions SET expires_at = ? + ttl * 1000 WHERE stream_name = ? AND params = ? AND ttl IS NOT NULL',
    [now, name, params]);
}

/** Drops subscriptions whose TTL ran out, and default ones the server no longer lists. */
export function deleteOutdated(db: SqlDb, now: number): void {
  db.run('DELETE FROM sl_stream_subscriptions WHERE expires_at < ? OR (ttl IS NULL AND active = 0)', [now]);
}

/**
 * A full checkpoint's `streams` list: the streams it names are active (and default or not, as it
 * says), the others not; a default stream not tracked yet gets a row; a row that is neither
 * explicit nor listed goes.
 */
export function trackServerStreams(db: SqlDb, streams: readonly StreamDescription[]): void {
  transaction(db, () => {
    db.run('UPDATE sl_stream_subscriptions SET active = 0');
    for (const s of streams) {
      db.run('UPDATE sl_stream_subscriptions SET active = 1, is_default = ? WHERE stream_name = ?', [s.is_default ? 1 : 0, s.name]);
      if (s.is_default) {
        db.run(
          `INSERT INTO sl_stream_subscriptions (stream_name, params, active, is_default)
           SELECT ?, 'null', 1, 1 WHERE NOT EXISTS (SELECT 1 FROM sl_stream_subscriptions WHERE stream_name = ? AND ttl IS NULL)
           ON CONFLICT (stream_name, params) DO NOTHING`,
          [s.name, s.name],
        );
      }
    }
    db.run('DELETE FROM sl_stream_subscriptions WHERE ttl IS NULL AND active = 0');
  });
}

export function markSynced(db: SqlDb, ids: readonly number[], now: number): void {
  for (const id of ids) db.run('UPDATE sl_stream_subscriptions SET last_synced_at = ? WHERE id = ?', [now, id]);
}
