/**
 * The local tables: what the sync rules send for the demo schema
 * (server/src/main/resources/demo/schema.sql). Booleans arrive as 0/1 and timestamps as ISO text.
 */
import { Schema } from '@syncline/web';

export const schema = new Schema({
  lists: { columns: { name: 'text', owner_id: 'text', shared_with: 'text', created_at: 'text', updated_at: 'text' } },
  todos: {
    columns: {
      list_id: 'text',
      description: 'text',
      completed: 'integer',
      created_by: 'text',
      completed_at: 'text',
      created_at: 'text',
      updated_at: 'text',
    },
  },
});

export interface ListRow {
  id: string;
  name: string;
  owner_id: string;
  shared_with: string | null;
  updated_at: string | null;
  todo_count: number;
  open_count: number;
}

export interface TodoRow {
  id: string;
  list_id: string;
  description: string;
  completed: number;
  created_by: string | null;
  updated_at: string | null;
}
