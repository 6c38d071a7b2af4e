// Follows one shape with the stock @electric-sql/client against a Syncline server and prints one
// JSON line per batch of messages on stdout: the messages, the Shape's rows after them and the
// stream's offset/handle. Exits when stdin closes (the Java test ends it) or after --max-ms.
//
//   node shape-stream.mjs --url http://127.0.0.1:8080/v1/shape --token <jwt> --table todos
//        [--where "done = $1" --params '["true"]' --columns id,title --replica full --sse
//         --offset 12_0 --handle abc-1 --max-ms 60000]
import { ShapeStream, Shape, isChangeMessage, isControlMessage } from '@electric-sql/client'

const args = {}
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i]
  if (!a.startsWith('--')) continue
  const next = process.argv[i + 1]
  if (next === undefined || next.startsWith('--')) args[a.slice(2)] = true
  else { args[a.slice(2)] = next; i++ }
}

// int8 columns arrive as BigInt; print them as strings.
const print = (event) => process.stdout.write(JSON.stringify(event, (k, v) => typeof v === 'bigint' ? v.toString() : v) + '\n')

const params = { table: args.table }
if (args.where) params.where = args.where
if (args.params) params.params = JSON.parse(args.params)
if (args.columns) params.columns = args.columns.split(',')
if (args.replica) params.replica = args.replica

const stream = new ShapeStream({
  url: args.url,
  params,
  headers: { Authorization: `Bearer ${args.token}` },
  liveSse: !!args.sse,
  offset: args.offset,
  handle: args.handle,
  onError: (error) => {
    print({ event: 'error', status: error.status ?? null, message: String(error.message ?? error), body: error.json ?? error.text ?? null })
    // returning nothing stops the stream: the test decides what happens next
  },
})
const shape = new Shape(stream)

stream.subscribe((messages) => {
  const rows = [...shape.currentRows].sort((a, b) => String(a.id).localeCompare(String(b.id)))
  print({
    event: 'batch',
    messages: messages.map((m) => isChangeMessage(m)
      ? { operation: m.headers.operation, key: m.key, value: m.value, old_value: m.old_value ?? null }
      : { control: isControlMessage(m) ? m.headers.control : null }),
    rows,
    offset: stream.lastOffset,
    handle: stream.shapeHandle,
    upToDate: stream.isUpToDate,
  })
}, (error) => print({ event: 'error', message: String(error?.message ?? error) }))

const stop = () => { stream.unsubscribeAll(); process.exit(0) }
process.stdin.on('end', stop)
process.stdin.resume()
if (args['max-ms']) setTimeout(stop, Number(args['max-ms']))
