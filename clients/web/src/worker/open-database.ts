/**
 * Opens the database on the Origin Private File System with the opfs-sahpool VFS (needs no
 * COOP/COEP headers, holds its files with exclusive sync access handles), or in memory when OPFS
 * is unavailable (old browser, private mode, another tab holding the pool) — then nothing
 * survives a reload, and the status says so.
 */
import sqlite3InitModule from '@sqlite.org/sqlite-wasm';
import { oo1, type Oo1Db } from '../storage/oo1-adapter.js';
import type { SqlDb } from '../storage/sql-db.js';

export interface Opened {
  db: SqlDb;
  raw: Oo1Db & { exec(opts: { sql: string; bind?: unknown[]; rowMode: 'object'; callback: (row: Record<string, unknown>) => void }): unknown; close(): void };
  storage: 'opfs-sahpool' | 'memory';
  warning: string | null;
}

export async function openDatabase(dbName: string, storage: 'auto' | 'memory'): Promise<Opened> {
  const sqlite3 = await sqlite3InitModule();
  let warning: string | null = null;
  if (storage === 'auto') {
    try {
      const pool = await sqlite3.installOpfsSAHPoolVfs({ name: 'syncline-sahpool', directory: '/syncline', initialCapacity: 6 });
      const raw = new pool.OpfsSAHPoolDb(`/${dbName}`) as unknown as Opened['raw'];
      const db = oo1(raw);
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
  return { db: oo1(raw), raw, storage: 'memory', warning };
}
