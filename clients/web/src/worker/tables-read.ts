/**
 * Which app tables a query reads, from its compiled program: every OpenRead names a b-tree by
 * root page, and sqlite_schema maps root pages (tables and their indexes) to table names.
 */
import type { SqlDb } from '../storage/sql-db.js';
import type { Opened } from './open-database.js';

export function tablesRead(raw: Opened['raw'], db: SqlDb, sql: string): string[] {
  const pages: number[] = [];
  raw.exec({
    sql: `EXPLAIN ${sql}`,
    rowMode: 'object',
    callback: (row: Record<string, unknown>) => {
      if (row['opcode'] === 'OpenRead') pages.push(Number(row['p2']));
    },
  });
  if (pages.length === 0) return [];
  return db
    .all(`SELECT DISTINCT tbl_name FROM sqlite_schema WHERE rootpage IN (SELECT value FROM json_each(?)) AND tbl_name NOT LIKE 'sl\\_%' ESCAPE '\\'`, [
      JSON.stringify(pages),
    ])
    .map((r) => String(r['tbl_name']));
}
