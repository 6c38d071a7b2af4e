/**
 * The typed message RPC between the page and the database worker. Every request carries an id;
 * the worker answers with a result or an error for that id. The worker also sends notifications
 * (tables changed, status, rejected uploads) and asks the page for credentials.
 */
import type { TableDefinition } from '../storage/schema.js';
import type { SqlValue } from '../storage/sql-db.js';
import type { SyncStreamStatus } from '../sync/streams.js';

export type Params = readonly (SqlValue | boolean)[];
export type ResultRow = Record<string, SqlValue>;

export interface InitArgs {
  schema: Record<string, TableDefinition>;
  dbName: string;
  /** 'auto' tries OPFS (opfs-sahpool) and falls back to memory; 'memory' never touches OPFS. */
  storage: 'auto' | 'memory';
}

export interface InitResult {
  clientId: string;
  storage: 'opfs-sahpool' | 'memory';
  warning: string | null;
}

export interface SyncStatus {
  connected: boolean;
  connecting: boolean;
  /** Ops received of the total the current checkpoint announced; null when nothing is downloading. */
  downloading: { received: number; total: number } | null;
  uploading: boolean;
  /** Local transactions waiting to be uploaded. */
  pendingUploads: number;
  hasSynced: boolean;
  lastSyncedAt: number | null;
  lastError: string | null;
  online: boolean;
  /** Every Sync Streams subscription this database tracks, with its status (PowerSync's name). */
  syncStreams: SyncStreamStatus[];
}

export interface RejectedTransaction {
  tx_id: number;
  code: string;
  message: string;
  ops: unknown[];
}

export interface Methods {
  init(args: InitArgs): InitResult;
  query(sql: string, params: Params, tx: number | null): ResultRow[];
  execute(sql: string, params: Params, tx: number | null): { changes: number; rows: ResultRow[] };
  begin(): number;
  commit(tx: number): void;
  rollback(tx: number): void;
  tablesRead(sql: string): string[];
  connect(endpoint: string): void;
  disconnect(): void;
  setOnline(online: boolean): void;
  status(): SyncStatus;
  /** Answers with the status after the subscription was recorded, so the page never waits on an older one. */
  subscribe(handle: string, name: string, params: Record<string, unknown> | null, ttl: number | null, priority: number | null): SyncStatus;
  unsubscribe(handle: string): void;
  unsubscribeAll(name: string, params: Record<string, unknown> | null): void;
  close(): void;
}

export type Method = keyof Methods;

export interface Request<M extends Method = Method> {
  id: number;
  method: M;
  args: Parameters<Methods[M]>;
}

export type Response =
  | { id: number; result: unknown }
  | { id: number; error: { name: string; message: string } };

export type Notification =
  | { notify: 'tables'; tables: string[] }
  | { notify: 'status'; status: SyncStatus }
  | { notify: 'rejected'; transaction: RejectedTransaction }
  | { notify: 'credentials'; requestId: number; refresh: boolean };

/** The page's answer to a credentials request. */
export interface CredentialsReply {
  credentialsReply: number;
  token: string | null;
  error: string | null;
}

export type WorkerMessage = Response | Notification;
export type PageMessage = Request | CredentialsReply;
