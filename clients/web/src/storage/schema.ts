/**
 * The app's local schema: tables and their columns. Each becomes a real SQLite table
 * (`id TEXT PRIMARY KEY` + the columns) the app queries with plain SQL.
 */
export type ColumnType = 'text' | 'integer' | 'real';

export interface TableDefinition {
  columns: Record<string, ColumnType>;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TYPES: ReadonlySet<string> = new Set(['text', 'integer', 'real']);

export class SchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchemaError';
  }
}

export class Schema {
  readonly tables: Readonly<Record<string, TableDefinition>>;

  constructor(tables: Record<string, TableDefinition>) {
    for (const [table, def] of Object.entries(tables)) {
      if (!NAME.test(table)) throw new SchemaError(`table name "${table}" must match ${NAME} (letters, digits, _)`);
      if (table.startsWith('sl_')) throw new SchemaError(`table name "${table}": the prefix sl_ is reserved for the SDK`);
      if (def === null || typeof def !== 'object' || typeof def.columns !== 'object') {
        throw new SchemaError(`table "${table}" needs {columns: {name: 'text' | 'integer' | 'real'}}`);
      }
      for (const [column, type] of Object.entries(def.columns)) {
        if (!NAME.test(column)) throw new SchemaError(`column "${table}.${column}" must match ${NAME}`);
        if (column === 'id') throw new SchemaError(`column "${table}.id" is implicit (TEXT PRIMARY KEY); remove it`);
        if (!TYPES.has(type)) throw new SchemaError(`column "${table}.${column}" has type "${type}"; use text, integer or real`);
      }
    }
    this.tables = Object.freeze({ ...tables });
  }

  /** Plain JSON form, to send to the worker. */
  toJSON(): Record<string, TableDefinition> {
    return { ...this.tables };
  }
}

/** Quotes an identifier already checked against NAME. */
export function q(name: string): string {
  return `"${name}"`;
}
