/**
 * The demo app: opens the signed-in user's local database (SQLite in a worker, on OPFS), syncs it
 * with the server that served this page, and renders lists, todos, the sync status and the
 * commit → visible latency from live queries. The user comes from ?user= (alice or bob); each user
 * has a database file of their own, so switching users reloads the page with the other one.
 */
import { SynclineDatabase, type RejectedTransaction, type SyncStatus } from '@syncline/web';
import { Actions } from './actions.js';
import { LatencyTracker } from './latency.js';
import { schema, type ListRow, type TodoRow } from './schema.js';
import { $, renderLatency, renderLists, renderRejected, renderStatus, renderTodos } from './views.js';

const USERS = ['alice', 'bob'] as const;
const params = new URLSearchParams(location.search);
const user = USERS.find((u) => u === params.get('user')) ?? 'alice';
const otherUser = USERS.find((u) => u !== user)!;

/** What the page holds, for the browser tests (demo/test/drive-demo.mjs) and the curious. */
const state = {
  ready: false,
  user,
  storage: null as string | null,
  lists: [] as ListRow[],
  todos: [] as TodoRow[],
  selectedList: null as string | null,
  status: null as SyncStatus | null,
  rejected: [] as { at: Date; tx: RejectedTransaction }[],
  errors: [] as string[],
  db: null as SynclineDatabase | null,
};
(window as unknown as { demo: typeof state }).demo = state;

function fail(e: unknown): void {
  const message = e instanceof Error ? e.message : String(e);
  state.errors.push(message);
  $('app-error').textContent = message;
  $('app-error').hidden = false;
  console.error(e);
}

async function fetchToken(): Promise<{ token: string }> {
  const res = await fetch(`/demo/token?user=${encodeURIComponent(user)}`, { cache: 'no-store' });
  if (!res.ok) throw new Error(`GET /demo/token answered ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as { token: string };
  return { token: body.token };
}

function setUpChrome(db: SynclineDatabase): void {
  document.title = `Syncline demo — ${user}`;
  for (const b of document.querySelectorAll<HTMLButtonElement>('#user-switch button')) {
    b.classList.toggle('current', b.dataset.user === user);
    b.onclick = () => {
      if (b.dataset.user !== user) location.search = `?user=${b.dataset.user}`;
    };
  }
  const offline = $('offline') as HTMLInputElement;
  offline.onchange = () => void db.setOnline(!offline.checked).catch(fail);
  $('share-label').textContent = `share with ${otherUser}`;
}

function watchLatency(db: SynclineDatabase, tracker: LatencyTracker): void {
  for (const table of ['lists', 'todos']) {
    db.watch<{ id: string; updated_at: string | null }>(`SELECT id, updated_at FROM ${table}`, [], (rows) => {
      if (tracker.observe(table, rows, Date.now()).length > 0) renderLatency(tracker);
    }, { onError: fail });
  }
}

function watchTodos(db: SynclineDatabase, actions: Actions): () => void {
  const listId = state.selectedList;
  if (listId === null) {
    renderTodos('No list yet — create one', [], { toggle() {}, remove() {} });
    return () => undefined;
  }
  return db.watch<TodoRow>(
    'SELECT id, list_id, description, completed, created_by, updated_at FROM todos WHERE list_id = ? ORDER BY created_at, description, id',
    [listId],
    (rows) => {
      state.todos = rows;
      const name = state.lists.find((l) => l.id === listId)?.name ?? '';
      renderTodos(name, rows, {
        toggle: (t) => void actions.setCompleted(t.id, t.completed !== 1).catch(fail),
        remove: (t) => void actions.deleteTodo(t.id).catch(fail),
      });
    },
    { onError: fail },
  );
}

async function main(): Promise<void> {
  const db = new SynclineDatabase({ schema, dbName: `demo-${user}.db`, workerUrl: new URL('./worker.js', location.href) });
  state.db = db;
  const init = await db.init();
  state.storage = init.storage;
  $('storage').textContent = init.storage === 'opfs-sahpool'
    ? 'stored in this browser (OPFS): a reload or going offline keeps the data'
    : `in memory only: ${init.warning ?? 'OPFS unavailable'}`;
  setUpChrome(db);
  const actions = new Actions(db, user);
  const tracker = new LatencyTracker(Date.now());

  db.onStatus((s) => {
    state.status = s;
    renderStatus(s, Date.now());
  });
  setInterval(() => state.status && renderStatus(state.status, Date.now()), 1000); // "x s ago" moves on
  db.onRejected((tx) => {
    state.rejected.push({ at: new Date(), tx });
    renderRejected(state.rejected);
  });

  let stopTodos = () => undefined as void;
  const selectList = (id: string | null) => {
    state.selectedList = id;
    stopTodos();
    stopTodos = watchTodos(db, actions);
    renderLists(state.lists, id, user, listHandlers);
  };
  const listHandlers = {
    select: (id: string) => selectList(id),
    rename: (l: ListRow) => {
      const name = prompt(`New name for "${l.name}"`, l.name);
      if (name !== null && name.trim() !== '') void actions.renameList(l.id, name.trim()).catch(fail);
    },
  };
  db.watch<ListRow>(
    `SELECT l.id, l.name, l.owner_id, l.shared_with, l.updated_at,
            count(t.id) AS todo_count, count(t.id) - coalesce(sum(t.completed), 0) AS open_count
       FROM lists l LEFT JOIN todos t ON t.list_id = l.id GROUP BY l.id ORDER BY l.created_at, l.name`,
    [],
    (rows) => {
      state.lists = rows;
      const keep = rows.some((l) => l.id === state.selectedList);
      if (!keep) selectList(rows[0]?.id ?? null);
      else {
        renderLists(rows, state.selectedList, user, listHandlers);
        const name = rows.find((l) => l.id === state.selectedList)?.name;
        if (name !== undefined) $('list-title').textContent = name;
      }
    },
    { tables: ['lists', 'todos'], onError: fail },
  );
  watchLatency(db, tracker);

  ($('new-todo') as HTMLFormElement).onsubmit = (e) => {
    e.preventDefault();
    const input = $('new-todo-text') as HTMLInputElement;
    const text = input.value.trim();
    if (text === '' || state.selectedList === null) return;
    input.value = '';
    void actions.addTodo(state.selectedList, text).catch(fail);
  };
  ($('new-list') as HTMLFormElement).onsubmit = (e) => {
    e.preventDefault();
    const input = $('new-list-name') as HTMLInputElement;
    const name = input.value.trim();
    if (name === '') return;
    input.value = '';
    const share = ($('new-list-share') as HTMLInputElement).checked ? otherUser : null;
    void actions.createList(name, share).then(selectList).catch(fail);
  };

  await db.connect({ endpoint: location.origin, fetchCredentials: fetchToken });
  state.ready = true;
}

main().catch(fail);
