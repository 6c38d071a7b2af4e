/**
 * Reads a POST /api/upload response (PROTOCOL.md §8) into what the uploader does with each sent
 * transaction. Pure, so the decision is tested without a server.
 */
export type TxStatus = 'applied' | 'duplicate' | 'rejected' | 'retryable';

export interface TxOutcome {
  tx_id: number;
  status: TxStatus;
  code: string | null;
  message: string | null;
}

export interface UploadDecision {
  /** Transactions to drop from the queue (applied, duplicate or rejected). */
  done: number[];
  rejected: TxOutcome[];
  /** Stop here and retry the rest later with backoff. */
  retry: boolean;
}

const STATUSES: ReadonlySet<string> = new Set(['applied', 'duplicate', 'rejected', 'retryable']);

export function parseOutcomes(body: unknown): TxOutcome[] {
  const list = (body as { transactions?: unknown } | null)?.transactions;
  if (!Array.isArray(list)) throw new Error('upload response has no "transactions" array');
  return list.map((t) => {
    const o = t as Record<string, unknown>;
    if (typeof o['tx_id'] !== 'number' || typeof o['status'] !== 'string' || !STATUSES.has(o['status'])) {
      throw new Error(`upload response entry ${JSON.stringify(t)} needs tx_id (number) and a known status`);
    }
    return {
      tx_id: o['tx_id'],
      status: o['status'] as TxStatus,
      code: typeof o['code'] === 'string' ? o['code'] : null,
      message: typeof o['message'] === 'string' ? o['message'] : null,
    };
  });
}

/** Walks the outcomes in queue order; the first retryable (or missing) one stops the batch, keeping order. */
export function decide(sent: number[], outcomes: TxOutcome[]): UploadDecision {
  const byId = new Map(outcomes.map((o) => [o.tx_id, o]));
  const done: number[] = [];
  const rejected: TxOutcome[] = [];
  for (const tx of sent) {
    const o = byId.get(tx);
    if (o === undefined || o.status === 'retryable') return { done, rejected, retry: true };
    done.push(tx);
    if (o.status === 'rejected') rejected.push(o);
  }
  return { done, rejected, retry: false };
}
