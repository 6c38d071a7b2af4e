/** SqlDb over the official SQLite WASM "oo1" API (browser worker and node tests alike). */
import type { Row, SqlDb } from './sql-db.js';

/** The slice of oo1.DB this adapter uses. */
export interface Oo1Db {
  exec(opts: { sql: string; bind?: unknown[] }): unknown;
  selectObjects(sql: string, bind?: unknown[]): Record<string, unknown>[];
  changes(): number | bigint;
}

export function oo1(db: Oo1Db): SqlDb {
  return {
    run(sql, bind) {
      db.exec(bind === undefined ? { sql } : { sql, bind: [...bind] });
    },
    all(sql, bind) {
      return db.selectObjects(sql, bind === undefined ? undefined : [...bind]) as Row[];
    },
    changes() {
      return Number(db.changes());
    },
  };
}
