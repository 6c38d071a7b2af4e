/** The persistent upload queue (sl_crud): local writes grouped by local transaction. */
import type { SqlDb } from './sql-db.js';

export interface CrudOp {
  op_id: number;
  op: 'PUT' | 'PATCH' | 'DELETE';
  type: string;
  id: string;
  data?: Record<string, unknown>;
}

export interface CrudTransaction {
  tx_id: number;
  ops: CrudOp[];
}

/** Starts a local transaction: later trigger entries carry this id (ids only grow, persisted). */
export function nextLocalTx(db: SqlDb): number {
  db.run(`UPDATE sl_kv SET value = value + 1 WHERE key = 'tx'`);
  return Number(db.all(`SELECT value FROM sl_kv WHERE key = 'tx'`)[0]!['value']);
}

export function pendingCount(db: SqlDb): number {
  return Number(db.all('SELECT count(*) AS n FROM sl_crud')[0]!['n']);
}

/** The oldest queued transactions, in order (at most maxTx of them). */
export function oldestTransactions(db: SqlDb, maxTx: number): CrudTransaction[] {
  const rows = db.all(
    `SELECT op_id, tx_id, op, type, id, data FROM sl_crud
     WHERE tx_id IN (SELECT DISTINCT tx_id FROM sl_crud ORDER BY tx_id LIMIT ?) ORDER BY tx_id, op_id`,
    [maxTx],
  );
  const out: CrudTransaction[] = [];
  for (const r of rows) {
    const txId = Number(r['tx_id']);
    let tx = out[out.length - 1];
    if (tx === undefined || tx.tx_id !== txId) {
      tx = { tx_id: txId, ops: [] };
      out.push(tx);
    }
    const op: CrudOp = { op_id: Number(r['op_id']), op: r['op'] as CrudOp['op'], type: String(r['type']), id: String(r['id']) };
    if (r['data'] !== null) op.data = JSON.parse(String(r['data'])) as Record<string, unknown>;
    tx.ops.push(op);
  }
  return out;
}

export function removeTransactions(db: SqlDb, txIds: number[]): void {
  db.run('DELETE FROM sl_crud WHERE tx_id IN (SELECT value FROM json_each(?))', [JSON.stringify(txIds)]);
}
