/** The page's end of the worker RPC: numbered requests, promises settled by the worker's answers. */
import type { Method, Methods, Notification, PageMessage, Request, WorkerMessage } from '../protocol/rpc.js';

/** Where requests go: the local worker, or (in a follower tab) the leader over a BroadcastChannel. */
export interface Port {
  postMessage(message: PageMessage): void;
  onmessage: ((event: MessageEvent<WorkerMessage>) => void) | null;
}

export class RemoteError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export class RpcClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(private readonly port: Port, private readonly onNotification: (n: Notification) => void) {
    port.onmessage = (event) => {
      const msg = event.data;
      if ('notify' in msg) {
        onNotification(msg);
        return;
      }
      const p = this.pending.get(msg.id);
      if (p === undefined) return;
      this.pending.delete(msg.id);
      if ('error' in msg) p.reject(new RemoteError(msg.error.name, msg.error.message));
      else p.resolve(msg.result);
    };
  }

  call<M extends Method>(method: M, ...args: Parameters<Methods[M]>): Promise<Awaited<ReturnType<Methods[M]>>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      const request: Request<M> = { id, method, args };
      this.port.postMessage(request as unknown as PageMessage);
    });
  }

  send(message: PageMessage): void {
    this.port.postMessage(message);
  }

  /** Fails every call still waiting (the worker or the leader went away). */
  failAll(error: Error): void {
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }
}
