export { SynclineDatabase } from './client/database.js';
export type { ConnectOptions, DatabaseOptions, Transaction, WatchOptions } from './client/database.js';
export { RemoteError } from './client/rpc-client.js';
export { Schema, SchemaError } from './storage/schema.js';
export type { ColumnType, TableDefinition } from './storage/schema.js';
export type { InitResult, Params, RejectedTransaction, ResultRow, SyncStatus } from './protocol/rpc.js';
export type { SyncStream, SyncStreamDescription, SyncStreamSubscribeOptions, SyncStreamSubscription, SyncStatusView } from './client/sync-stream.js';
export type { SyncStreamStatus, SyncSubscriptionDescription } from './sync/streams.js';
