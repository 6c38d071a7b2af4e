/**
 * React bindings, a separate entry so the main bundle carries no React (a peer dependency).
 * useQuery(db, sql, params) returns the rows of a live query and re-renders when they change.
 */
import { useEffect, useState } from 'react';
import type { SynclineDatabase } from './client/database.js';
import type { Params, ResultRow, SyncStatus } from './protocol/rpc.js';

export interface QueryState<T> {
  data: T[];
  isLoading: boolean;
  error: Error | null;
}

export function useQuery<T = ResultRow>(db: SynclineDatabase, sql: string, params: Params = []): QueryState<T> {
  const [state, setState] = useState<QueryState<T>>({ data: [], isLoading: true, error: null });
  const key = JSON.stringify(params);
  useEffect(() => {
    setState((s) => ({ ...s, isLoading: true }));
    return db.watch<T>(sql, JSON.parse(key) as Params, (data) => setState({ data, isLoading: false, error: null }), {
      onError: (error) => setState((s) => ({ ...s, isLoading: false, error })),
    });
  }, [db, sql, key]);
  return state;
}

export function useStatus(db: SynclineDatabase): SyncStatus {
  const [status, setStatus] = useState<SyncStatus>(db.status);
  useEffect(() => db.onStatus(setStatus), [db]);
  return status;
}
