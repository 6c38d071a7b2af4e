/**
 * Opens the database on the Origin Private File System with the opfs-sahpool VFS (needs no
 * COOP/COEP headers, holds its files with exclusive sync access handles), or in memory when OPFS
 * is unavailable (old browser, private mode, another tab holding the pool) — then nothing
 * survives a reload, and the status says so.
 */
import sqlite3InitModule from '@sqlite.org/sqlite-wasm';
import { oo1, type CachingSqlDb, type Oo1Db } from '../storage/oo1-adapter.js';

export interface Opened {
  db: CachingSqlDb;
  raw: Oo1Db & { exec(opts: { sql: string; bind?: unknown[]; rowMode: 'object'; callback: (row: Record<string, unknown>) => void }): unknown; close(): void };
  storage: 'opfs-sahpool' | 'memory';
  warning: string | null;
}

type Sqlite3 = Awaited<ReturnType<typeof sqlite3InitModule>>;

/** How long to wait for a closing tab's worker to let go of the pool's access handles. */
const HANDLE_WAIT_MS = 3000;

async function installPool(sqlite3: Sqlite3) {
  const deadline = Date.now() + HANDLE_WAIT_MS;
  for (;;) {
    try {
      return await sqlite3.installOpfsSAHPoolVfs({ name: 'syncline-sahpool', directory: '/syncline', initialCapacity: 6 });
    } catch (e) {
      // A tab that just closed may still hold the handles for a moment (NoModificationAllowedError).
      if (typeof navigator === 'undefined' || !('storage' in navigator) || Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export async function openDatabase(dbName: string, storage: 'auto' | 'memory'): Promise<Opened> {
  const sqlite3 = await sqlite3InitModule();
  let warning: string | null = null;
  if (storage === 'auto') {
    try {
      const pool = await installPool(sqlite3);
      const raw = new pool.OpfsSAHPoolDb(`/${dbName}`) as unknown as Opened['raw'];
      const db = oo1(raw, sqlite3.capi.sqlite3_stmt_readonly as (p: unknown) => number);
      // Every read or write of an OPFS access handle is a call of its own (milliseconds each in
      // Chromium, whatever its size), so fewer, larger pages: 64 KiB instead of 4 KiB cut the
      // calls of a 100k-row first sync ~16× (docs/benchmarks.md, P4). Takes effect only on a new,
      // empty database; an existing one keeps its page size.
      db.run('PRAGMA page_size = 65536');
      // One connection owns the pool's files anyway; keeping the lock lets SQLite skip the
      // per-transaction lock, hot-journal and change-counter checks (each a call into OPFS).
      db.run('PRAGMA locking_mode = EXCLUSIVE');
      // Up to 64 MiB of page cache (allocated as used) holds a first sync's working set, so the
      // apply transaction does not spill and re-read pages; temp tables stay in memory.
      db.run('PRAGMA cache_size = -65536');
      db.run('PRAGMA temp_store = MEMORY');
      // TRUNCATE keeps the journal file (the pool's access handle) instead of deleting and
      // re-creating it per transaction; as crash-safe as DELETE.
      db.run('PRAGMA journal_mode = TRUNCATE');
      db.run('PRAGMA synchronous = NORMAL');
      return { db, raw, storage: 'opfs-sahpool', warning: null };
    } catch (e) {
      warning = `OPFS (opfs-sahpool) unavailable, using an in-memory database that a reload loses: ${(e as Error).message}`;
      console.warn(`[syncline] ${warning}`);
    }
  } else {
    warning = 'in-memory database requested: nothing survives a reload';
  }
  const raw = new sqlite3.oo1.DB(':memory:') as unknown as Opened['raw'];
  return { db: oo1(raw, sqlite3.capi.sqlite3_stmt_readonly as (p: unknown) => number), raw, storage: 'memory', warning };
}
