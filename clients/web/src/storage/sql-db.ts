/**
 * The few SQLite calls the SDK needs, so the same storage code runs on SQLite WASM in the
 * browser worker and in node for tests.
 */
export type SqlValue = string | number | bigint | null | Uint8Array;
export type Row = Record<string, SqlValue>;

export interface SqlDb {
  run(sql: string, bind?: readonly unknown[]): void;
  all(sql: string, bind?: readonly unknown[]): Row[];
  /** Number of rows changed by the last statement. */
  changes(): number;
}

/** Runs fn inside BEGIN IMMEDIATE … COMMIT, rolling back on any error. */
export function transaction<T>(db: SqlDb, fn: () => T): T {
  db.run('BEGIN IMMEDIATE');
  try {
    const result = fn();
    db.run('COMMIT');
    return result;
  } catch (e) {
    db.run('ROLLBACK');
    throw e;
  }
}

/**
 * transaction() for work that awaits between its statements (the sync engine pausing so queued
 * read-only queries run, see Lock.runSharing): BEGIN IMMEDIATE … COMMIT around an async fn.
 */
export async function transactionAsync<T>(db: SqlDb, fn: () => Promise<T>): Promise<T> {
  db.run('BEGIN IMMEDIATE');
  try {
    const result = await fn();
    db.run('COMMIT');
    return result;
  } catch (e) {
    db.run('ROLLBACK');
    throw e;
  }
}
