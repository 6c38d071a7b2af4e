/** Local write transactions: each gets a fresh local tx id that the CRUD triggers record. */
import { transaction, type SqlDb } from './sql-db.js';
import { nextLocalTx } from './upload-queue.js';

/** Runs fn in one SQLite transaction whose writes form one upload transaction. */
export function localWrite<T>(db: SqlDb, fn: () => T): T {
  return transaction(db, () => {
    nextLocalTx(db);
    return fn();
  });
}
