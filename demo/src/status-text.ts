/** The sync-status bar as text: a pure function of the SDK's status and the current time. */
import type { SyncStatus } from '@syncline/web';

export interface StatusParts {
  connection: string;
  /** 'ok' | 'busy' | 'off' — a class for the colour of the dot. */
  tone: 'ok' | 'busy' | 'off';
  download: string;
  upload: string;
  lastSynced: string;
  lastError: string;
}

export function statusParts(s: SyncStatus, now: number): StatusParts {
  const connection = !s.online ? 'offline' : s.connected ? 'connected' : s.connecting ? 'connecting…' : 'disconnected';
  const tone = s.connected ? 'ok' : s.online && s.connecting ? 'busy' : 'off';
  const download = s.downloading === null
    ? 'idle'
    : `${s.downloading.received} of ${s.downloading.total} ops`;
  const upload = s.uploading
    ? `uploading (${s.pendingUploads} waiting)`
    : s.pendingUploads > 0 ? `${s.pendingUploads} waiting` : 'all sent';
  const lastSynced = s.lastSyncedAt === null ? 'never' : ago(now - s.lastSyncedAt);
  return { connection, tone, download, upload, lastSynced, lastError: s.lastError ?? 'none' };
}

function ago(ms: number): string {
  if (ms < 2000) return 'just now';
  if (ms < 60_000) return `${Math.round(ms / 1000)} s ago`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min ago`;
  return `${Math.round(ms / 3_600_000)} h ago`;
}
