/**
 * Several tabs, one database: the tab holding the Web Lock "syncline:<db>" runs the worker (the
 * database and the sync connection); the others send their requests to it over a
 * BroadcastChannel and get its answers and notifications back. When the leader tab closes, the
 * browser releases its lock, the next waiting tab starts a worker and announces itself; queued
 * writes live in the database, so nothing is lost.
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
  private readonly relayed = new Map<number, { tab: string; id: number }>();
  private nextRelayId = -1;
  private readonly channel: BroadcastChannel;

  constructor(lockName: string, private readonly createWorker: () => Worker, private readonly hooks: TabPortHooks) {
    this.channel = new BroadcastChannel(lockName);
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
        if (target !== undefined) this.channel.postMessage({ type: 'response', to: target.tab, msg: { ...msg, id: target.id } } satisfies Wire);
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
          this.relayed.set(id, { tab: w.from, id: w.msg.id });
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

  close(): void {
    this.channel.close();
    this.worker?.terminate();
  }
}
