/**
 * DOM rendering: each function takes values and writes one part of the page. Text always goes
 * through textContent, never HTML, since descriptions and names come from other users.
 */
import type { RejectedTransaction, SyncStatus } from '@syncline/web';
import type { LatencyTracker } from './latency.js';
import type { ListRow, TodoRow } from './schema.js';
import { statusParts } from './status-text.js';

export function $(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`#${id} missing from index.html`);
  return el;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {},
  ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
}

export interface ListHandlers {
  select(id: string): void;
  rename(list: ListRow): void;
}

export function renderLists(lists: readonly ListRow[], selected: string | null, user: string, on: ListHandlers): void {
  const items = lists.map((l) => {
    const shared = l.owner_id !== user ? `shared by ${l.owner_id}` : l.shared_with ? `shared with ${l.shared_with}` : 'only you';
    const li = el('li', { className: l.id === selected ? 'selected' : '' },
      el('button', { className: 'list-name', onclick: () => on.select(l.id) }, l.name,
        el('span', { className: 'count' }, ` ${l.open_count}/${l.todo_count}`)),
      el('span', { className: 'meta' }, shared),
      el('button', { className: 'icon', title: 'Rename (only the owner may)', onclick: () => on.rename(l) }, '✎'));
    li.dataset.listId = l.id;
    return li;
  });
  $('list-items').replaceChildren(...items);
}

export interface TodoHandlers {
  toggle(todo: TodoRow): void;
  remove(todo: TodoRow): void;
}

export function renderTodos(title: string, todos: readonly TodoRow[], on: TodoHandlers): void {
  $('list-title').textContent = title;
  const items = todos.map((t) => {
    const box = el('input', { type: 'checkbox', checked: t.completed === 1, onchange: () => on.toggle(t) });
    const li = el('li', { className: t.completed === 1 ? 'done' : '' },
      el('label', {}, box, el('span', { className: 'description' }, t.description)),
      el('span', { className: 'meta' }, t.updated_at === null ? 'not yet on the server' : `by ${t.created_by ?? '?'}`),
      el('button', { className: 'icon', title: 'Delete', onclick: () => on.remove(t) }, '✕'));
    li.dataset.todoId = t.id;
    return li;
  });
  $('todo-items').replaceChildren(...items);
}

export function renderStatus(s: SyncStatus, now: number): void {
  const p = statusParts(s, now);
  $('status').dataset.tone = p.tone;
  $('st-connection').textContent = p.connection;
  $('st-download').textContent = p.download;
  $('st-upload').textContent = p.upload;
  $('st-last').textContent = p.lastSynced;
  $('st-error').textContent = p.lastError;
}

export function renderLatency(t: LatencyTracker): void {
  const last = t.latest();
  const median = t.median();
  $('lat-last').textContent = last === null ? '—' : `${Math.round(last.ms)} ms`;
  $('lat-what').textContent = last === null ? '' : ` (a row of ${last.table})`;
  $('lat-median').textContent = median === null ? '—' : `${Math.round(median)} ms`;
  $('lat-n').textContent = String(t.count());
}

export function renderRejected(rejected: readonly { at: Date; tx: RejectedTransaction }[]): void {
  $('rejected').hidden = rejected.length === 0;
  $('rejected-items').replaceChildren(...rejected.map(({ at, tx }) => el('li', {},
    el('time', {}, at.toLocaleTimeString()), ' ',
    el('code', {}, tx.code), ` ${tx.message} (${tx.ops.length} change(s), undone with the next sync)`)));
}
