// A TanStack DB collection synced by @tanstack/electric-db-collection from Syncline's GET /v1/shape,
// with an optimistic insert written through Syncline's POST /api/upload and confirmed either when
// the shape brings a change of the upload's PostgreSQL transaction (--confirm txid: the handler
// returns { txid } and TanStack DB's awaitTxId waits for it in headers.txids) or when it brings the
// row back (--confirm match, awaitMatch). Prints JSON lines: ready (ids after the initial sync),
// uploaded (the upload's response), synced (the shape message that carried the row back), then
// confirmed (the row as synced, and every change the collection emitted for that key with whether
// the collection held the row right after it).
//
//   node tanstack-collection.mjs --endpoint http://127.0.0.1:8080 --token <jwt> --list-id <uuid> --todo-id <uuid> [--confirm txid|match]
import { createCollection } from '@tanstack/db'
import { electricCollectionOptions } from '@tanstack/electric-db-collection'
import { isChangeMessage } from '@electric-sql/client'

const args = {}
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].slice(2)] = process.argv[i + 1]
const print = (event) => process.stdout.write(JSON.stringify(event, (k, v) => typeof v === 'bigint' ? v.toString() : v) + '\n')
const headers = { Authorization: `Bearer ${args.token}` }
const confirm = args.confirm ?? 'match'
setTimeout(() => { print({ event: 'timeout' }); process.exit(2) }, Number(args['timeout-ms'] ?? 60000))

const todos = createCollection(electricCollectionOptions({
  id: 'todos',
  shapeOptions: { url: `${args.endpoint}/v1/shape`, params: { table: 'todos' }, headers },
  getKey: (row) => row.id,
  onInsert: async ({ transaction, collection }) => {
    const row = transaction.mutations[0].modified
    const response = await fetch(`${args.endpoint}/api/upload`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: 'tanstack-interop', transactions: [{ tx_id: 1, ops: [{
        op_id: 1, op: 'PUT', type: 'todos', id: row.id,
        data: { list_id: row.list_id, description: row.description, completed: 0, created_by: row.created_by } }] }] }),
    })
    const body = await response.json()
    print({ event: 'uploaded', status: response.status, body })
    if (!response.ok || body.transactions[0].status !== 'applied') throw new Error(`upload failed: ${JSON.stringify(body)}`)
    if (confirm === 'txid') return { txid: body.txids, timeout: 30000 }   // awaited by electricCollectionOptions
    await collection.utils.awaitMatch((m) => isChangeMessage(m) && m.headers.operation === 'insert' && m.value.id === row.id, 30000)
  },
}))

await todos.preload()
print({ event: 'ready', ids: [...todos.keys()].sort() })

const history = []
todos.subscribeChanges((changes) => {
  for (const c of changes) {
    if (c.key === args['todo-id']) {
      history.push({ type: c.type, description: c.value?.description, created_by: c.value?.created_by,
        present: todos.has(args['todo-id']) })
    }
  }
})
// The shape message that brings the row back, with its headers (txids), observed beside the collection.
todos.utils.awaitMatch((m) => {
  if (!isChangeMessage(m) || m.value.id !== args['todo-id']) return false
  print({ event: 'synced', headers: m.headers })
  return true
}, 30000).catch(() => {})
// created_by is stamped by the server (the demo's trigger), so the synced row differs from the optimistic one.
const tx = todos.insert({ id: args['todo-id'], list_id: args['list-id'], description: 'Optimistic', completed: false,
  created_by: 'optimistic', completed_at: null, created_at: new Date().toISOString() })
history.push({ type: 'after-insert', present: todos.has(args['todo-id']) })
await tx.isPersisted.promise
print({ event: 'confirmed', row: todos.get(args['todo-id']), history, size: todos.size })
process.exit(0)
