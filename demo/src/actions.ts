/**
 * The app's writes: plain SQL on the local tables. Each call is one local transaction, visible at
 * once (live queries re-run) and queued by the SDK for upload to POST /api/upload; the server's
 * version comes back through sync (with updated_at and created_by stamped by PostgreSQL).
 */
import type { SynclineDatabase } from '@syncline/web';

export class Actions {
  constructor(private readonly db: SynclineDatabase, private readonly user: string) {}

  async addTodo(listId: string, description: string): Promise<string> {
    const id = crypto.randomUUID();
    await this.db.execute(
      'INSERT INTO todos (id, list_id, description, completed, created_by, created_at) VALUES (?, ?, ?, 0, ?, ?)',
      [id, listId, description, this.user, new Date().toISOString()],
    );
    return id;
  }

  async setCompleted(todoId: string, completed: boolean): Promise<void> {
    await this.db.execute('UPDATE todos SET completed = ?, completed_at = ? WHERE id = ?',
      [completed ? 1 : 0, completed ? new Date().toISOString() : null, todoId]);
  }

  async deleteTodo(todoId: string): Promise<void> {
    await this.db.execute('DELETE FROM todos WHERE id = ?', [todoId]);
  }

  /** A new list owned by the user; shareWith adds that user as a member (a trigger in PostgreSQL does it). */
  async createList(name: string, shareWith: string | null): Promise<string> {
    const id = crypto.randomUUID();
    await this.db.execute('INSERT INTO lists (id, name, owner_id, shared_with, created_at) VALUES (?, ?, ?, ?, ?)',
      [id, name, this.user, shareWith, new Date().toISOString()]);
    return id;
  }

  /** Only the owner may rename (a Row-Level Security policy): a member's rename is rejected and reverted. */
  async renameList(listId: string, name: string): Promise<void> {
    await this.db.execute('UPDATE lists SET name = ? WHERE id = ?', [name, listId]);
  }
}
