/**
 * SqlDb over the official SQLite WASM "oo1" API (browser worker and node tests alike). Queries
 * reuse prepared statements (a small LRU): preparing costs about as much as a point lookup.
 */
import type { Row, SqlDb } from './sql-db.js';

interface Oo1Stmt {
  pointer?: unknown;
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
  /** Whether sql is one statement that writes nothing (sqlite3_stmt_readonly), prepared via the cache. */
  isReadOnly(sql: string): boolean;
}

/**
 * stmtReadonly: sqlite3.capi.sqlite3_stmt_readonly (isReadOnly answers false without it). run()
 * with bind values reuses a cached statement too (it is then one statement, as every such call
 * here is); without, it goes through exec, which runs every statement of a script.
 */
export function oo1(db: Oo1Db, stmtReadonly: ((pointer: unknown) => number) | null = null): CachingSqlDb {
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
      if (bind === undefined) {
        db.exec({ sql });
        return;
      }
      const stmt = statement(sql);
      try {
        if (bind.length > 0) stmt.bind([...bind]);
        while (stmt.step());
      } finally {
        stmt.reset(true);
      }
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
    isReadOnly(sql) {
      if (stmtReadonly === null) return false;
      // One statement only: prepare() compiles the first and ignores the rest, which may write.
      if (sql.trim().replace(/;+$/, '').includes(';')) return false;
      return stmtReadonly(statement(sql).pointer) !== 0;
    },
    release() {
      for (const s of cache.values()) s.finalize();
      cache.clear();
    },
  };
}
