// P11 (issue 16): the stock @electric-sql/client (clients/interop-electric's pinned copy) against
// Syncline's GET /v1/shape, driven by dev.syncline.bench.ShapeBench. Two modes:
//
//   node bench/electric/shapes-bench.mjs initial --url http://127.0.0.1:8080/v1/shape --token <jwt>
//        --table todos --expected 100002 [--canned response.json]
//     One shape from offset -1, materialised by the client's own `Shape` (a Map of rows, as an app
//     reads it); prints {"event":"synced","rows":n,"elapsedMs":ms,"firstByteMs":ms} once the shape is
//     up to date with at least `expected` rows, and exits. Time runs from creating the stream.
//     With --canned, the client reads instead from a loopback server in this process that answers
//     with a recorded response ({"headers":{…},"body":"…"}, the server's own answer to the same
//     request), at no cost: the client's own time, the baseline its server figure is checked against.
//
//   node bench/electric/shapes-bench.mjs live --url … --tokens tokens.txt --table todos --prefix s
//     One live long-polling ShapeStream per token (liveSse off). Prints "SYNCED n failed=f" once every
//     shape is up to date; from then on, for every inserted row whose id starts with `prefix`, records
//     commit → visible latency: the wall clock when the batch that makes it visible arrives (the
//     client delivers a batch, and `Shape` notifies its subscribers, at `up-to-date`) minus the row's
//     `n`, which the writer set to clock_timestamp() in µs (same machine, same clock). On a line
//     "STOP" on stdin prints "RESULT received=… p50=… p90=… p95=… p99=… max=… failed=…" (µs) and exits —
//     the protocol of FanOutClients, so the Java side reads both the same way.
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { createInterface } from 'node:readline'

// The client is installed (pinned, with its lockfile) in clients/interop-electric; load its ESM entry from there.
const here = dirname(fileURLToPath(import.meta.url))
const clientDir = join(here, '..', '..', 'clients', 'interop-electric')
const require = createRequire(join(clientDir, 'package.json'))
const pkgJson = require.resolve('@electric-sql/client/package.json')
const pkg = JSON.parse(readFileSync(pkgJson, 'utf8'))
const { ShapeStream, Shape, isChangeMessage, isControlMessage } =
  await import(pathToFileURL(join(dirname(pkgJson), pkg.exports['.'].import.default)).href)

const [mode, ...rest] = process.argv.slice(2)
const args = {}
for (let i = 0; i < rest.length; i++) {
  if (rest[i].startsWith('--')) { args[rest[i].slice(2)] = rest[i + 1]; i++ }
}
const nowMicros = () => Math.round((performance.timeOrigin + performance.now()) * 1000)
const print = (line) => process.stdout.write(line + '\n')

if (mode === 'initial') {
  const expected = Number(args.expected)
  if (args.canned) {
    const { createServer } = await import('node:http')
    const recorded = JSON.parse(readFileSync(args.canned, 'utf8'))
    const body = Buffer.from(recorded.body, 'utf8')
    const server = createServer((req, res) => {
      if (new URL(req.url, 'http://x').searchParams.get('live') === 'true') {
        return // the client is up to date by then and the process exits: a live request is never answered
      }
      res.writeHead(200, { ...recorded.headers, 'content-type': 'application/json', 'content-length': body.length })
      res.end(body)
    })
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
    args.url = `http://127.0.0.1:${server.address().port}/v1/shape`
  }
  const start = performance.now()
  let firstByteMs = null
  const stream = new ShapeStream({
    url: args.url,
    params: { table: args.table },
    headers: { Authorization: `Bearer ${args.token}` },
    fetchClient: async (...a) => {
      const response = await fetch(...a)
      if (firstByteMs === null) firstByteMs = performance.now() - start
      return response
    },
    onError: (error) => {
      print(JSON.stringify({ event: 'error', status: error.status ?? null, message: String(error.message ?? error) }))
      process.exit(1)
    },
  })
  const shape = new Shape(stream)
  const check = () => {
    if (shape.isUpToDate && shape.currentRows.length >= expected) {
      const elapsedMs = performance.now() - start
      print(JSON.stringify({ event: 'synced', rows: shape.currentRows.length, elapsedMs, firstByteMs }))
      stream.unsubscribeAll()
      process.exit(0)
    }
  }
  shape.subscribe(check)
  await shape.rows
  check()
} else if (mode === 'live') {
  const tokens = readFileSync(args.tokens, 'utf8').split('\n').filter((t) => t.length > 0)
  const prefix = args.prefix
  const latencies = []
  let synced = 0
  let failed = 0
  tokens.forEach((token, index) => {
    let upToDate = false
    let pending = []
    const stream = new ShapeStream({
      url: args.url,
      params: { table: args.table },
      headers: { Authorization: `Bearer ${token}` },
      liveSse: false,
      onError: (error) => {
        failed++
        process.stderr.write(`shape ${index} failed: ${error.status ?? ''} ${error.message ?? error}\n`)
        // returning nothing stops this stream
      },
    })
    stream.subscribe((messages) => {
      for (const m of messages) {
        if (isChangeMessage(m) && m.headers.operation === 'insert' && String(m.value.id).startsWith(prefix)) {
          pending.push(Number(m.value.n))
        } else if (isControlMessage(m) && m.headers.control === 'up-to-date') {
          const now = nowMicros()
          for (const n of pending) latencies.push(now - n)
          pending = []
          if (!upToDate) { upToDate = true; synced++ }
        }
      }
    }, (error) => { failed++; process.stderr.write(`shape ${index}: ${error?.message ?? error}\n`) })
  })
  let lastLog = 0
  const waitSynced = setInterval(() => {
    if (synced + failed >= tokens.length) {
      clearInterval(waitSynced)
      print(`SYNCED ${synced} failed=${failed}`)
    } else if (Date.now() - lastLog > 5000) {
      lastLog = Date.now()
      process.stderr.write(`shapes: ${synced} up to date, ${failed} failed of ${tokens.length}\n`)
    }
  }, 100)
  const input = createInterface({ input: process.stdin })
  input.on('line', (line) => {
    if (line.trim() !== 'STOP') return
    const sorted = Float64Array.from(latencies).sort()
    const pct = (p) => sorted.length === 0 ? -1 : sorted[Math.max(0, Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1))]
    print(`RESULT received=${sorted.length} p50=${pct(50)} p90=${pct(90)} p95=${pct(95)} p99=${pct(99)} max=${sorted.length ? sorted[sorted.length - 1] : -1} failed=${failed} checksumFailures=0`)
    process.exit(0)
  })
} else {
  process.stderr.write('usage: shapes-bench.mjs initial|live --url … (see the comment at the top)\n')
  process.exit(2)
}
