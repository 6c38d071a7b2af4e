// An in-memory SQLite (the same official WASM build the worker uses, node flavour) behind SqlDb.
import init from '@sqlite.org/sqlite-wasm';
import { oo1, type CachingSqlDb, type Oo1Db } from '../src/storage/oo1-adapter.js';

let sqlite3: Awaited<ReturnType<typeof init>> | undefined;

export async function memoryDb(): Promise<CachingSqlDb> {
  sqlite3 ??= await init();
  return oo1(new sqlite3.oo1.DB(':memory:') as unknown as Oo1Db, sqlite3.capi.sqlite3_stmt_readonly as (p: unknown) => number);
}
