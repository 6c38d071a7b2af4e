/**
 * SqlDb over the official SQLite WASM "oo1" API (browser worker and node tests alike). Queries
 * reuse prepared statements (a small LRU): preparing costs about as much as a point lookup.
 */
import type { Row, SqlDb } from './sql-db.js';

interface Oo1Stmt {
  bind(values: unknown[]): unknown;
  step(): boolean;
  get(target: Record<string, unknown>): Record<string, unknown>;
  reset(clearBindings?: boolean): unknown;
  finalize(): unknown;
}

/** The slice of oo1.DB this adapter uses. */
export interface Oo1Db {
  exec(opts: { sql: string; bind?: unknown[] }): unknown;
  prepare(sql: string): Oo1Stmt;
  changes(): number | bigint;
}

const CACHED_STATEMENTS = 64;

export interface CachingSqlDb extends SqlDb {
  /** Finalizes the cached statements (before closing the database). */
  release(): void;
}

export function oo1(db: Oo1Db): CachingSqlDb {
  const cache = new Map<string, Oo1Stmt>();
  const statement = (sql: string): Oo1Stmt => {
    let stmt = cache.get(sql);
    if (stmt !== undefined) {
      cache.delete(sql);
    } else {
      stmt = db.prepare(sql);
      if (cache.size >= CACHED_STATEMENTS) {
        const [oldest, old] = cache.entries().next().value as [string, Oo1Stmt];
        cache.delete(oldest);
        old.finalize();
      }
    }
    cache.set(sql, stmt);
    return stmt;
  };
  return {
    run(sql, bind) {
      db.exec(bind === undefined ? { sql } : { sql, bind: [...bind] });
    },
    all(sql, bind) {
      const stmt = statement(sql);
      try {
        if (bind !== undefined && bind.length > 0) stmt.bind([...bind]);
        const rows: Row[] = [];
        while (stmt.step()) rows.push(stmt.get({}) as Row);
        return rows;
      } finally {
        stmt.reset(true);
      }
    },
    changes() {
      return Number(db.changes());
    },
    release() {
      for (const s of cache.values()) s.finalize();
      cache.clear();
    },
  };
}
