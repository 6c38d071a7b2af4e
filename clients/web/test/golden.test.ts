// Runs every golden line sequence (protocol/src/test/resources/sync-golden, shared with the Java
// GoldenSequencesTest) through the pure state machine and the real storage code on SQLite WASM.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseLine } from '../src/protocol/lines.js';
import { createTables } from '../src/storage/internal-tables.js';
import { localWrite } from '../src/storage/local-writes.js';
import { Schema, type TableDefinition } from '../src/storage/schema.js';
import { transaction, type SqlDb } from '../src/storage/sql-db.js';
import { applyCheckpoint, clearStaged, loadBuckets, mergeStaged, removeBuckets, storeOps } from '../src/storage/sync-store.js';
import { pendingCount, removeTransactions, oldestTransactions } from '../src/storage/upload-queue.js';
import { initialState, step, type SyncEvent, type SyncState } from '../src/sync/state.js';
import { memoryDb } from './sqlite.js';

const GOLDEN = join(process.cwd(), '..', '..', 'protocol', 'src', 'test', 'resources', 'sync-golden');

interface Expectation {
  rows?: Record<string, Record<string, string>>;
  tables?: Record<string, Record<string, unknown>[]>;
  write_checkpoint?: string;
  checksum_mismatch?: string[];
}

interface Fixture {
  description: string;
  schema: Record<string, TableDefinition>;
  steps: ({ line: unknown } | { local: string } | { event: string; write_checkpoint?: string; expect_request?: unknown } | { expect: Expectation })[];
  expect: Expectation;
}

class Harness {
  state: SyncState;
  mismatches: string[] = [];
  requests: { name: string; after: string }[][] = [];
  private inComplete = false;

  constructor(readonly db: SqlDb, readonly schema: Schema) {
    this.state = initialState(loadBuckets(db), pendingCount(db) === 0);
  }

  dispatch(event: SyncEvent): void {
    const { state, actions } = step(this.state, event);
    this.state = state;
    this.inComplete = event.type === 'line' && event.line.kind.endsWith('complete');
    for (const a of actions) {
      switch (a.type) {
        case 'open':
          this.requests.push(a.buckets);
          this.dispatch({ type: 'opened' });
          break;
        case 'store':
          storeOps(this.db, a.bucket, a.ops, a.local);
          break;
        case 'removeBuckets':
          if (this.inComplete) this.mismatches.push(...a.buckets);
          removeBuckets(this.db, a.buckets);
          break;
        case 'apply':
          applyCheckpoint(this.db, this.schema, a);
          break;
        case 'protocolError':
          throw new Error(a.message);
        default:
          break;
      }
    }
  }

  check(e: Expectation, where: string): void {
    if (e.rows !== undefined) {
      // Staged ops are stored ops not yet merged; merging them first changes nothing an apply shows.
      transaction(this.db, () => {
        mergeStaged(this.db);
        clearStaged(this.db);
      });
      const rows: Record<string, Record<string, string>> = {};
      for (const r of this.db.all('SELECT bucket, id, data FROM sl_oplog ORDER BY bucket, id')) {
        (rows[String(r['bucket'])] ??= {})[String(r['id'])] = String(r['data']);
      }
      assert.deepEqual(rows, e.rows, `${where}: rows per bucket`);
    }
    if (e.tables !== undefined) {
      for (const [table, expected] of Object.entries(e.tables)) {
        const actual = this.db.all(`SELECT * FROM "${table}" ORDER BY id`).map((r) => ({ ...r }));
        assert.deepEqual(actual, expected, `${where}: table ${table}`);
      }
    }
    if (e.write_checkpoint !== undefined) {
      assert.equal(this.state.target?.writeCheckpoint ?? null, e.write_checkpoint, `${where}: write checkpoint`);
    }
    if (e.checksum_mismatch !== undefined) {
      assert.deepEqual(this.mismatches, e.checksum_mismatch, `${where}: buckets reset after a checksum mismatch`);
    }
  }
}

for (const file of readdirSync(GOLDEN).filter((f) => f.endsWith('.json')).sort()) {
  const fixture = JSON.parse(readFileSync(join(GOLDEN, file), 'utf8')) as Fixture;
  test(`golden ${file}: ${fixture.description}`, async () => {
    const db = await memoryDb();
    const schema = new Schema(fixture.schema);
    createTables(db, schema, () => 'client-1');
    const h = new Harness(db, schema);
    h.dispatch({ type: 'start' });
    fixture.steps.forEach((s, i) => {
      if ('line' in s) {
        h.dispatch({ type: 'line', line: parseLine(s.line) });
      } else if ('local' in s) {
        localWrite(db, () => db.run(s.local));
        h.dispatch({ type: 'localWrite' });
      } else if ('event' in s) {
        if (s.event === 'uploaded') {
          removeTransactions(db, oldestTransactions(db, 1000).map((t) => t.tx_id));
          h.dispatch({ type: 'uploaded', writeCheckpoint: s.write_checkpoint! });
        } else if (s.event === 'reconnect') {
          h.dispatch({ type: 'retry' });
          if (s.expect_request !== undefined) assert.deepEqual(h.requests.at(-1), s.expect_request, `step ${i}: request`);
        } else {
          throw new Error(`unknown event ${s.event}`);
        }
      } else {
        h.check(s.expect, `step ${i}`);
      }
    });
    h.check(fixture.expect, 'end');
  });
}
