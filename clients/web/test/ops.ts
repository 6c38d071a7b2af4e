// Ops, lines and the apply request the storage tests build their scenarios from.
import type { Op } from '../src/protocol/lines.js';
import { Schema } from '../src/storage/schema.js';
import type { ApplyRequest, StoredLine } from '../src/storage/sync-store.js';

/** todos (description) and lists (name). */
export const schema = new Schema({ todos: { columns: { description: 'text' } }, lists: { columns: { name: 'text' } } });
/** A full checkpoint whose rows are applied. */
export const FULL: ApplyRequest = { buckets: [], priority: null, applyRows: true, positions: null };

export const put = (opId: number, id: string, description: string, type = 'todos'): Op => ({
  op_id: String(opId), op: 'PUT', object_type: type, object_id: id,
  data: JSON.stringify(type === 'todos' ? { id, description } : { id, name: description }), checksum: opId,
});
export const remove = (opId: number, id: string): Op => ({ op_id: String(opId), op: 'REMOVE', object_type: 'todos', object_id: id, checksum: opId });
export const clear = (opId: number): Op => ({ op_id: String(opId), op: 'CLEAR', checksum: 0 });
/** A data line of a bucket; its position is its last op. */
export const line = (bucket: string, ops: Op[]): StoredLine => ({ bucket, ops, local: { after: ops.at(-1)!.op_id, checksum: 0, count: 0 } });
