/**
 * Several tabs, one database: the tab holding the Web Lock "syncline:<db>" runs the worker (the
 * database and the sync connection); the others send their requests to it over a
 * BroadcastChannel and get its answers and notifications back. When the leader tab closes, the
 * browser releases its lock, the next waiting tab starts a worker and announces itself; queued
 * writes live in the database, so nothing is lost.
 *
 * A local transaction holds the one database until it ends, so a follower tab that dies inside
 * `writeTransaction` would block every tab. Each tab therefore also holds a lock of its own,
 * "syncline:<db>:tab:<id>", for its lifetime; when the leader relays a follower's `begin`, it asks
 * for that tab's lock, which the browser grants only once the tab is gone, and then rolls back the
 * transactions that tab opened (a no-op for those it already ended). The same lock releases the
 * Sync Streams subscription handles a follower tab held, so their TTL starts when the tab goes.
 */
import type { PageMessage, WorkerMessage } from '../protocol/rpc.js';
import type { Port } from './rpc-client.js';

type Wire =
  | { type: 'hello'; from: string }
  | { type: 'leader'; tab: string }
  | { type: 'request'; from: string; msg: PageMessage }
  | { type: 'response'; to: string; msg: WorkerMessage }
  | { type: 'notify'; msg: WorkerMessage };

export interface TabPortHooks {
  /** This tab now runs the worker: replay init (and connect) on it. */
  becameLeader(): void;
  /** Another tab took over: requests sent to the previous leader will never be answered. */
  leaderChanged(): void;
}

export class TabPort implements Port {
  onmessage: ((event: MessageEvent<WorkerMessage>) => void) | null = null;
  readonly tabId = crypto.randomUUID();
  isLeader = false;
  private worker: Worker | null = null;
  private leaderTab: string | null = null;
  private queue: PageMessage[] = [];
  private readonly relayed = new Map<number, { tab: string; id: number; method: string; tx?: number; handle?: string }>();
  /** Follower tabs whose lifetime lock the leader waits for → the transactions each has opened and
   * the stream subscription handles it holds. */
  private readonly watched = new Map<string, { txs: Set<number>; handles: Set<string> }>();
  private nextRelayId = -1;
  private readonly channel: BroadcastChannel;

  constructor(private readonly lockName: string, private readonly createWorker: () => Worker, private readonly hooks: TabPortHooks) {
    this.channel = new BroadcastChannel(lockName);
    void navigator.locks.request(this.tabLock(this.tabId), () => new Promise<never>(() => undefined));
    this.channel.onmessage = (e: MessageEvent<Wire>) => this.onWire(e.data);
    this.channel.postMessage({ type: 'hello', from: this.tabId } satisfies Wire);
    // Held until the tab goes away: the never-settling promise keeps the lock.
    void navigator.locks.request(lockName, () => {
      this.lead();
      return new Promise<never>(() => undefined);
    });
  }

  postMessage(msg: PageMessage): void {
    if (this.isLeader) this.worker!.postMessage(msg);
    else if (this.leaderTab !== null) this.channel.postMessage({ type: 'request', from: this.tabId, msg } satisfies Wire);
    else this.queue.push(msg);
  }

  private deliver(msg: WorkerMessage): void {
    this.onmessage?.({ data: msg } as MessageEvent<WorkerMessage>);
  }

  private lead(): void {
    const worker = this.createWorker();
    this.worker = worker;
    worker.onmessage = (e: MessageEvent<WorkerMessage>) => {
      const msg = e.data;
      if ('id' in msg && msg.id < 0) {
        const target = this.relayed.get(msg.id);
        this.relayed.delete(msg.id);
        if (target !== undefined) {
          if (target.method === 'begin' && 'result' in msg) this.watch(target.tab).txs.add(msg.result as number);
          if (target.tx !== undefined) this.watched.get(target.tab)?.txs.delete(target.tx); // ended (committed, rolled back or failed)
          if (target.handle !== undefined) {
            if (target.method === 'subscribe' && 'result' in msg) this.watch(target.tab).handles.add(target.handle);
            else this.watched.get(target.tab)?.handles.delete(target.handle);
          }
          this.channel.postMessage({ type: 'response', to: target.tab, msg: { ...msg, id: target.id } } satisfies Wire);
        }
        return;
      }
      this.deliver(msg);
      if ('notify' in msg && msg.notify !== 'credentials') this.channel.postMessage({ type: 'notify', msg } satisfies Wire);
    };
    const hadLeader = this.leaderTab !== null;
    this.isLeader = true;
    this.leaderTab = this.tabId;
    if (hadLeader) this.hooks.leaderChanged();
    this.hooks.becameLeader();
    for (const m of this.queue.splice(0)) worker.postMessage(m);
    this.channel.postMessage({ type: 'leader', tab: this.tabId } satisfies Wire);
  }

  private onWire(w: Wire): void {
    switch (w.type) {
      case 'hello':
        if (this.isLeader) this.channel.postMessage({ type: 'leader', tab: this.tabId } satisfies Wire);
        break;
      case 'leader': {
        if (this.isLeader || w.tab === this.leaderTab) break;
        const changed = this.leaderTab !== null;
        this.leaderTab = w.tab;
        if (changed) this.hooks.leaderChanged();
        for (const m of this.queue.splice(0)) this.postMessage(m);
        break;
      }
      case 'request':
        if (!this.isLeader) break;
        if ('credentialsReply' in w.msg) break; // only the leader page answers its worker
        {
          const id = this.nextRelayId--;
          const ends = w.msg.method === 'commit' || w.msg.method === 'rollback';
          const handle = w.msg.method === 'subscribe' || w.msg.method === 'unsubscribe' ? (w.msg.args[0] as string) : undefined;
          this.relayed.set(id, { tab: w.from, id: w.msg.id, method: w.msg.method, tx: ends ? (w.msg.args[0] as number) : undefined, handle });
          this.worker!.postMessage({ ...w.msg, id });
        }
        break;
      case 'response':
        if (w.to === this.tabId) this.deliver(w.msg);
        break;
      case 'notify':
        if (!this.isLeader) this.deliver(w.msg);
        break;
    }
  }

  private tabLock(tab: string): string {
    return `${this.lockName}:tab:${tab}`;
  }

  /**
   * What `tab` has open here; the first call waits for its lifetime lock, which the browser grants
   * once the tab is gone: then its transactions are rolled back (ids are never reused, so a late
   * rollback is harmless) and its subscription handles released.
   */
  private watch(tab: string): { txs: Set<number>; handles: Set<string> } {
    const known = this.watched.get(tab);
    if (known !== undefined) return known;
    const open = { txs: new Set<number>(), handles: new Set<string>() };
    this.watched.set(tab, open);
    void navigator.locks.request(this.tabLock(tab), () => {
      this.watched.delete(tab);
      // Their answers match no relayed request and are dropped.
      for (const t of open.txs) this.worker?.postMessage({ id: this.nextRelayId--, method: 'rollback', args: [t] } satisfies PageMessage);
      for (const h of open.handles) this.worker?.postMessage({ id: this.nextRelayId--, method: 'unsubscribe', args: [h] } satisfies PageMessage);
    });
    return open;
  }

  close(): void {
    this.channel.close();
    this.worker?.terminate();
  }
}
