import { bundleSection } from './bundle-report.ts';
import { markdownTable } from './format.ts';
import { LINK_DELAY_MS } from './servers/delayed-link.ts';
import { twoRunsSection } from './two-runs.ts';
import { lastPoolSection } from '../pool/report.ts';
import { busyLine, ECHO_HEADERS, echoRows, OTHER_HEADERS, otherRows, TARGET_HEADERS, targetRows, type Report } from './report.ts';

/** docs/performance.md: the latest full run's tables and chart, the machine, and the method, the verdicts of the run before it (`previous`) beside its own; then the last `npx --yes pnpm@10 bench:pool` run's section. */
export function performanceDoc(r: Report, chartPath: string, previous: Report | null = null): string {
  const m = r.machine;
  const s = r.settings;
  const pool = lastPoolSection();
  const others = r.busy.others ?? 0;
  const busy =
    others > 0.2 || r.busy.loadStart > m.cores / 2
      ? `

This run shared the machine with other work (${busyLine(r)}): the absolute figures
are low and move from pass to pass, and the ranges are wide; the ratios, measured pass by pass,
hold up better, but rerun \`npx --yes pnpm@10 bench\` on an idle machine before reading much into a
verdict.`
      : '';
  return `# Performance

Measured by \`npx --yes pnpm@10 bench\` (the \`bench/\` package) on ${r.date.slice(0, 10)} (${r.mode} run, ${r.seconds} s), on
${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB of memory, Node ${m.node}, ${m.os}; ${busyLine(r)}.
Every figure of this run, each pass's included, is in \`bench/results/full.json\` (\`latest.json\`
holds the latest run of any kind). Each full run (\`npx --yes pnpm@10 bench\`) rewrites this page;
\`npx --yes pnpm@10 bench -- --quick\` and runs with \`--only\` leave it alone.

![Echo requests/s (32 B, 64 in flight) and p50 latency (32 B, 1 in flight) by transport](${chartPath})

## Method

Each server and each client runs in its own Node process (forked, so the two sides never share
an event loop), over loopback only: TCP on 127.0.0.1, Unix sockets in a
temporary directory, and WebSocket on 127.0.0.1. An echo case keeps 1 or 64 requests in flight
on one connection: each of that many loops sends a request as soon as its previous reply
arrived; req/s is replies per second, MB/s is payload bytes echoed per second (one direction,
10^6 bytes), and p50/p99 are percentiles of the per-request times.

**Interleaved passes.** A machine shared with other work changes speed from one second to the
next, so figures measured minutes apart cannot be divided by each other. All servers stay up;
for each transport, one client process per implementation opens its connection and warms up
(${s.openWarmupMs} ms), and then the run makes ${s.passes} passes over the cases. In a pass, the
implementations of one case (same transport, size and in-flight count: the raw baseline,
Gotalk's bytes and JSON, gRPC or the peer libraries) run back to back, each ${s.warmupMs} ms of
warm-up then ${s.timeMs} ms measured, in alternating order (A B C in one pass, C B A in the
next), so each pass gives ratios measured within a second of each other. A figure in the tables
is the median of its passes; a ratio ("× raw", "× best peer") is the median of the pass-by-pass
ratios, shown with their range (min–max). A target is judged on that median, and is "too noisy"
instead of met or missed when its bound lies inside the middle half of the passes' ratios
(between the first and third quartile): then the passes disagree about the side it falls on.
A verdict can still differ between two runs when a figure sits at its bound. On 2026-12-03,
once each client process loaded only the library it measures, three pairs of full runs back to
back agreed on 19, 18 and 17 of their 19 verdicts (the last pair is below). What moved: the JSON
target with one request in flight, where Gotalk is level with the fastest peer (too noisy in
four runs, met in one, missed in one at 0.87×), and once the WebSocket p50 at one request in
flight, whose third quartile reached its bound of 1.3×.
How busy the machine was is measured over the run from \`/proc/stat\`: the share of all cores'
CPU time in use, the share used by the benchmark's own processes, the rest (other work), and
time stolen by the hypervisor.
Every server and client is a process of its own running plain JavaScript, as a deployed
service runs its build: at the start of a run the benchmark's scripts are compiled with esbuild
into \`bench/dist/\` (the packages stay imports of their builds), so no TypeScript loader runs
beside the code measured. The output is split at each dynamic import, so that a client process
loads only the library it measures. Until 2026-12-03 it was one file per script, which put every
library's import at its top: each client process, raw included, loaded gRPC, socket.io-client,
birpc, json-rpc-2.0, \`ws\` and Gotalk (and esbuild), whatever it ran. That measured a heap
shape rather than a library. The Gotalk client of 64 KiB echoes over Unix sockets (64 in flight,
6 passes) had 137 full collections in the run, against 18 for the raw client; V8 began incremental
marking over and over as the 64 KiB read and payload buffers, garbage waiting for the next young
collection, counted against its old-generation limit. Split, the same client had 20, and the case
went from 0.61× (0.51–0.85) to 1.07× (0.86–1.14) raw. An application whose heap sits where that
client's did can meet the same collections (below).

**What is compared.** The raw baselines are the limit: over TCP and Unix sockets a \`net\` echo
of messages with a 4-byte length prefix (the server parses each message and writes it back;
both sides coalesce the writes of one read or one tick with \`cork\`, as Gotalk's outbox
coalesces frames), and over WebSocket a \`ws\` server echoing each message. Gotalk is
\`@gotalk/node\` with default options: \`requestBytes\`/\`handleBytes\` ("gotalk bytes", a payload of
the given size) and \`request\`/\`handle\` ("gotalk json", a small object \`{"data":"…"}\` whose JSON
is the given size). Over TCP and Unix sockets, gRPC (\`@grpc/grpc-js\`, unary calls of one
channel, with raw-byte serializers so that no protobuf cost counts against it) carries the same
bytes. Over WebSocket, the peer libraries a user might pick instead carry the same JSON object
over a \`ws\` socket: birpc (post/on hooks, JSON serialize), json-rpc-2.0
(\`JSONRPCServerAndClient\`) and socket.io (WebSocket transport, \`emit\` with an
acknowledgement). "× raw" divides by the raw echo of the same pass; "× best peer" divides by the
peer with the highest median req/s on that transport (the JSON also has both ratios for MB/s and
for p50/p99 latency, where above 1 means slower). The stream case sends 64 KiB parts through
one \`stream()\` call that the server echoes part by part (\`handleStream\`), against raw 64 KiB
writes through a plain byte echo (\`pipe\`) and a gRPC bidirectional stream whose server writes
each message back, counting bytes read back; each pass opens a new connection. The connect cases
open TCP connections one at a time, for ${s.connectMs} ms per pass and implementation: "connect +
close" opens one (for Gotalk: \`connect()\`, until the version handshake is done) and closes it;
"connect + one request + close" also sends one 32-byte message and waits for its echo before it
closes, as a short-lived client does (raw: a length-prefixed message to the raw echo server;
Gotalk: one \`requestBytes('echo')\`, both with \`handshake: 'pipeline'\`, where the request
leaves with the version, and with the default, which waits for the handshake). It runs twice:
straight to the server, and through a proxy in the server's process that holds every chunk
${LINK_DELAY_MS} ms in each direction (a 10 ms round trip for the bytes; connecting to the proxy
is not delayed). The idle case, measured once, takes the server's \`heapUsed\` after forced
garbage collection (\`--expose-gc\`) before and after ${s.idleConnections} idle TCP clients
(another process) connect, and reports the difference per connection; external memory (buffers outside the JS heap) is shown beside it. The targets are
information only: a benchmark measures and prints, and never fails a build.${busy}

## Targets

${markdownTable(TARGET_HEADERS, targetRows(r))}

${twoRunsSection(previous, r)}## Echo

${markdownTable(ECHO_HEADERS, echoRows(r))}

## Streams, connections, idle memory

${markdownTable(OTHER_HEADERS, otherRows(r))}

${bundleSection(r.bundles)}
## Where the remaining gaps come from

- **Streams of 64 KiB parts, most visibly over Unix sockets.** Node reads a socket at most
  64 KiB at a time, and a 64 KiB part is a 65,549-byte frame, so no read ever holds a whole
  part: the decoder gathers each one into a buffer of its own, in both processes. The copy is
  cheap; the new memory is not. V8 collects garbage about every 20 ms under that external
  memory pressure, and \`memset\`/\`memmove\`/\`malloc\` take 9–10% of each Gotalk process
  against 3.5% for the raw echo. In CPU time per GB, both processes together, Gotalk adds about
  the same over either transport (Unix 0.85–1.07 s raw vs 1.46–1.84 s; TCP 1.6–1.96 s vs
  1.68–2.5 s), but raw Unix is so much cheaper than raw TCP that the same overhead halves its
  ratio. Copying into one reused buffer instead took Unix from about 800 to about 1,080 MB/s,
  but a payload handed to the application must stay its own, so the decoder allocates; that the
  new memory is zero-filled first is not the cost (gathering into \`Buffer.allocUnsafeSlow\`
  memory instead measured 0.96–1.02× with 64 KiB echoes, 64 in flight, over TCP, Unix and
  WebSocket, 8 interleaved passes). Neither
  the socket high-water mark (64 KiB to 4 MiB) nor \`limits.streamBuffer\` (256 KiB to
  16 MiB) changed the figure. (Of parts of P bytes, about P / 64 KiB are split across two
  reads and copied; small parts mostly arrive whole and reach the application uncopied, as
  views of the read buffer.) Reading into larger buffers of our own, so that fewer parts are
  split, is open to one side only: Node 20 offers \`onread\` (a buffer the socket reads into)
  for the sockets it connects, not for the ones a \`net.Server\` accepts, so the server of an
  echo would still split every part. Tried on the client's half (a Gotalk client over TCP whose
  socket read into buffers of its own, against the standard client, 10 interleaved passes of
  400 ms, 64 in flight): handing over a fresh 256 KiB buffer after each read of 32 KiB or more
  (copying smaller reads out) gave 1.09× (1.02–1.21) with 64 KiB echoes but 0.85× (0.75–0.99)
  with 1 KiB ones, the price of a large allocation per read (128 KiB: 1.07×; 1 MiB: 0.89×);
  reading into the free tail of a 256 KiB slab instead (a new slab when less than 64 KiB is
  left, reads under 4 KiB copied out) gave 1.14×, 1.05× and 0.98× in three runs at 64 KiB,
  1.05× at 1 KiB and 1.05× at 32 B (512 KiB and 1 MiB slabs: 0.95× and 1.06×). A few per cent
  for one side, inside the spread, and a slab would keep 256 KiB alive for any small payload an
  application holds on to; so it was not adopted. And the figure has fallen since it was first measured: the
  same Unix stream echo outside the benchmark (one server and one client process, quiet machine,
  three runs each) moves about 680 MB/s with the build of a2e6381 and about 445 MB/s now. V8's
  \`--trace-gc\` says where it went: full (mark-compact) collections per GB streamed rose from
  about 2 to about 50, nearly all in the server process, while the young-generation ones stayed
  at about 160. Part buffers now outlive two young collections, are promoted, and only a full
  collection frees them. The count did not jump at one commit: it grew with each large merge
  (2, then 7 with the worker transports, 11 with contracts, 21 with groups and the admin socket,
  in one run of both processes). It follows the size of the heap, not the per-part path: a
  server that imports only \`@gotalk/peer\` and the socket transport has 1 in the same run, as at
  a2e6381, and so does one that imports any one of the admin socket's modules, but one that
  imports all of them has 6. Plain ballast does the same to the small server: about 3 MB of
  objects kept alive (a heap of about 11 MB) gives 27 full collections, while 6 MB or 12 MB give
  1 or 2. So the tiny benchmark server sits at a heap size where V8 (Node 20) answers the part
  buffers' external memory with full collections; with 6 or 12 MB more it did not, so an
  application that holds more than this server (most do) is likely past it. It is not a cost of
  the per-part work, and the raw echo, which allocates nothing per chunk in JavaScript, never
  meets it. Part of that heap was the benchmark's own: its processes ran through tsx's loader,
  which holds about 1.8 MB more (8.0 against 6.2 MB after loading \`@gotalk/node\`'s index). A
  client of 64 KiB echoes over TCP with 64 in flight had 70 to 90 full collections in 3 s through
  the loader and 7 as plain JavaScript, and moved about 7,200 against 10,500 requests per second;
  so the benchmark's processes now run compiled (above), and since 2026-12-03 each loads only the
  library it measures. The stream's gap to raw is what is left once that is set aside. In a run of
  6 passes over Unix sockets, no process of the stream case had more than 2 full collections, and
  it was still 0.44× (0.32–0.55). It is CPU time: the Gotalk server used 1.94 s of CPU and the raw
  one 1.82 s while the raw echo moved more than twice the bytes. In profiles of both Gotalk
  processes (outside the benchmark, sampled every 50 µs), gathering parts (\`#readPayload\`:
  allocating and copying) took 20–24% of the busy time, and the \`writev\` system call 16–31%. The
  raw echo is a \`pipe\`: it copies nothing and writes each read back as it came.
- **Many requests in flight: two processes taking turns.** A CPU profile of both processes
  (\`npx --yes pnpm@10 bench:ab -- --base=. --passes=1 --cases="tcp bytes 32 64" --prof=/tmp/prof\`)
  had each about half idle, and the CPU time per request said why: with 64 requests of 1 KiB in
  flight over WebSocket the client was 62% busy and the server 56%, where birpc's were 91% each.
  Every frame of a tick went out in one write, so the 64 requests left as one batch, the server
  answered them as one batch, and each process waited while the other worked through the whole
  of it. A batch is now written as soon as it holds 16 frames or 16 KiB, so the other side starts
  on the first frames while this side makes the rest. Measured outside the benchmark (one client
  and one server process, 1.5 s each): 1 KiB × 64 over WebSocket went from 46k to 88–106k
  requests per second with JSON and from 65k to 158–162k with bytes (8, 16 and 32 frames per
  batch were tried; 16 was best at both sizes), 32 B × 64 from 184k to 247–264k (JSON) and 363k
  to 487–525k (bytes); in interleaved A/B against the build before (5 passes), TCP JSON 32 B × 64
  1.32× (1.01–1.61), Unix bytes 32 B × 64 1.44× (1.05–1.79), Unix JSON 1 KiB × 64 1.41×
  (0.79–2.16), and the 64 KiB cases unchanged (0.98–1.14×). What is left per request is spread
  thin: the socket writes and garbage collection lead, and no JavaScript function of Gotalk
  takes more than about 1.5%.
- **JSON requests.** In profiles of both processes of a JSON echo of 64 KiB, the largest items
  were \`JSON.stringify\` and \`JSON.parse\` themselves, which every peer library pays alike for
  the same object, and, over WebSocket, \`ws\`'s masking of what a client sends (a loop over every
  byte without the optional \`bufferutil\`, the same for every client here). Node 20's engine
  escapes a string for JSON character by character, about 3 ns each (a 64 KiB string: about
  210 µs). Gotalk now writes the JSON text of a value that is, or holds at its top level, a string
  of 256 characters or more by a walk of plain data that quotes each long string as it is once
  the engine's own single-character search (memchr speed) finds nothing JSON escapes in it (no
  quote, backslash, control character or lone surrogate); anything else goes to
  \`JSON.stringify\`, and the text is the same (a property test compares them). \`toJson\` of
  \`{"data": <64 KiB>}\` went from about 238 to 80 µs. Over WebSocket, payloads of 16 KiB and
  more now leave as messages of their own instead of being copied into the batch (the reader
  takes messages as one byte stream), as they already did over sockets (\`writev\`). In one
  profiled pass of the 64 KiB echo (1 in flight) against the build before, that was 1.37× the
  requests per second. Earlier, the depth check (\`limits.maxJsonDepth\`) moved to the decoded text
  and long text to \`encodeInto\` (1.13×, 1.07–1.23, at 64 KiB over TCP). At 1 KiB the largest cost left
  was not JSON but memory: V8 spends about 0.5 µs on every ArrayBuffer of more than 64 bytes
  (made and collected), and each JSON payload and each outgoing batch was one. They now come from
  shared 16 KiB slabs (\`allocBytes\`, as Node's \`Buffer\` pool does), which took \`toJson\` of
  a 1 KiB object from about 1.5 to 0.8 µs (\`JSON.stringify\` alone takes 1.1 µs) and the 1 KiB
  JSON echo over WebSocket to 1.07–1.13× the build before (interleaved A/B, 6 passes). A JSON
  result is also parsed by the request itself as it settles, one promise fewer than
  \`requestBytes().then(parse)\`. Where it stands: ahead of every peer at 64 KiB and, since
  batches are cut (above), far ahead with many small requests in flight (about 3× birpc at
  32 B × 64), and level with the fastest peer, within the spread of the passes, with one request
  of 1 KiB or less in flight (next item). The JSON path costs about 2 µs a side over the bytes
  path there, and that is \`JSON.stringify\` and \`JSON.parse\` themselves: the same echo with the
  conversions written by hand (\`Buffer.from(JSON.stringify(v))\` out, \`JSON.parse(b.toString())\`
  in) took 23.2 µs a round trip against 22.5 µs through \`request()\` on the client, and
  22.8 against 22.9 µs through \`handle()\` on the server (both processes on one CPU, 10 passes).
- **One request in flight.** On the machine of the two runs above a round trip of one 32 B
  request over WebSocket took about 150–170 µs (30–45 µs on the machine of earlier runs), and
  \`process.cpuUsage\` in both processes said where it went: about 30–40 µs of user time and
  30 µs of system time per request on each side, for the same system calls in Gotalk and birpc
  (\`strace\`: one read, one write and about two \`epoll_pwait\` per request). With both processes
  pinned to one CPU (\`taskset -c 0\`) the same round trip took 21–29 µs, with 7–11 µs of user
  and 3–4 µs of system time a side; under the CPU profiler, whose sampling thread keeps the
  CPUs awake, 43 µs. Most of the round trip is waking a virtual CPU that went idle between
  messages, which every implementation pays alike, and of the rest the larger part is shared
  too: in a profile of both processes (pinned) the socket writes took about 31% of each
  process's busy time, Node's streams about 20%, \`ws\` 5%, JSON's own work about 8%, and
  Gotalk's JavaScript (peer, codec, transport) about 20%. So there the ratios sit near 1.0 and
  move with the machine's state from pass to pass (for JSON of 1 KiB or less, medians of 0.87–1.17× the fastest peer in the six runs of
  2026-12-03 named under Method, single passes 0.75–1.38×),
  so that target's verdict falls on either side of "too noisy" from run to run (Gotalk's client
  makes less garbage per request than birpc's: with V8's young generation held at 1 MB, one
  JSON echo of 1 KiB in flight over WebSocket ran a young collection every 105 requests against
  birpc's every 70, and bytes every 194; at 32 B every 183, 124 and 206);
  shorter passes (40 of 60 ms, 120 of 20 ms) did not narrow the spread. One cost was Gotalk's
  alone: a batch of 64 bytes or less (one small request or reply) was an array V8 keeps on its
  own heap, and Node's streams and \`ws\` ask a written array for its \`buffer\`, which moves it
  off the heap first: 0.83 µs for a 52-byte frame, against 0.07 µs for a view into a slab.
  Every array up to 4 KiB now comes from a slab. In interleaved A/B against the build before
  (both processes on one CPU, 9 passes), one 32 B request in flight went 1.10× (0.93–1.29) over
  WebSocket with JSON, 1.06× (0.84–1.33) with bytes, 1.08× (0.79–1.51) over TCP with bytes and
  1.03× (0.85–1.26) with JSON; 64 in flight stayed where it was (0.95–1.01×). Making the peer's
  view of itself a class instead of an object literal with getters (V8 kept it in dictionary
  mode, so every read of it was a hash lookup; see the memory item below) took one 32 B JSON request in flight
  over WebSocket to 1.23× (1.00–1.49) the build before, in the same pinned A/B.
- **What a finished request kept.** A request that has settled stays in its timeout queue until
  the queue steps past it (up to about a thousand entries), and through its promise it held its
  result: 1,024 results of 64 KiB were 64 MB kept alive for nothing. It now lets go of its
  promise when it settles (a test checks with a forced collection that results are freed).
- **gRPC.** \`@grpc/grpc-js\` spends about 1 ms of CPU per unary call on this machine (client and
  server in one process, measured apart from the benchmark): HTTP/2 headers, a call object and
  metadata on each side of every call, with no single hot spot in its profile; its streams are
  HTTP/2 streams with their own flow control. So it trails both the raw echo and Gotalk by far
  at 32 B and comes closest at 64 KiB, where copying the bytes is a larger share of the work.
- **Memory per idle connection.** A heap snapshot of a server before and after 500 idle Gotalk
  connections has, per connection, about 3.3 kB of the engine's internal arrays (the backing
  stores of Maps, arrays and objects), about 1.5 kB of contexts and closures (the callbacks that
  tie a peer's parts together), two timers (heartbeats and the silence timeout), the socket and
  its stream state, and the peer's parts (decoder, outbox, heartbeats, responder). The Maps an
  idle connection never uses are now made on first use (its own handler registry, the request
  signals, the deadline queues), which took the figure from about 10.9 kB to 10.2 kB. The
  snapshot then showed three objects per connection in V8's dictionary mode (a hash table
  instead of a shape): the peer's view of itself that its requests and responder use, the
  responder's context, and the memory budget's account, all object literals with getters. As a
  class (its operations on the prototype) and plain fields they take the snapshot's figure from
  10.6 kB to 8.0 kB and the benchmark's to about 7.5 kB (a test checks, with V8's
  \`%HasFastProperties\`, that they stay fast). Then the closures: the snapshot (counting each
  closure by its source position) had 33 per idle server connection, about 1.9 kB with their
  contexts: the budget account's operations, the callbacks the peer handed its outbox and its
  heartbeats, the heartbeat timers' callbacks, the responder's context, the deadline queues'
  keep function. They are now methods (of the account, a class; of the peer's host; of the
  responder), the timers pass their object as an argument to one shared function, and the keep
  function is made with the first queue. Connections made from the same option values share one
  resolved settings object (a copy each was about 0.3 kB), and the tables of requests made and
  served are one shared empty Map until a connection's first request, with the outbox's waiters
  and the decoder's header buffer made on first use (about 0.6 kB). The socket transport's
  listeners (data, drain, end, error, close), a closure each, are now functions shared by every
  transport, which find their transport on the stream that emits (about 0.3 kB). The snapshot's
  figure went from 8.6 to 5.9 kB (with about 0.7 kB of compiled code that 500 connections do not
  amortize) and the benchmark's from about 7.5 to 4.9 kB, against 1.4 kB for a raw socket. Then
  what a connection held for being closed: its \`ready\` and \`closed\` promises, with their
  resolving functions and \`ready\`'s guard against an unhandled rejection, and the server's
  \`closed.then(…)\` to forget it (a reaction, a closure and one more promise). A server reads
  neither promise for most connections, so they are now made when first read, and the server
  hears of a closed connection through one \`onClose\` function given to all its peers (a new
  peer option): 5.9 to 5.3 kB in the snapshot, 4.9 to 4.3 kB in the benchmark. Last, three more
  closures a connection: the decoder's budget check (the peer's host is now the decoder's
  admission, an object with an \`admit\` method), the check for a stream being served that it
  called (the account now asks the responder itself), and the connection caps' \`once('close')\`
  with its wrapper (one listener shared by every socket, which finds the address it counted on
  the socket): 5.3 to 5.0 kB in the snapshot and, in the benchmark, 4,347 to about 3,980 B per
  idle connection (3,980 and 3,983 B in the two runs above), under the 4 kB aimed at. What is left: the socket and its stream state (what the
  raw socket holds), 5 closures (the callbacks the peer gives its transport, kept a plain object
  of functions because a transport may wrap it as \`{ ...events, data }\`, and the decoder's frame
  sink), two timers (0.24 kB) and the peer's parts (the peer, decoder, heartbeats, outbox,
  responder, handlers, host and account: about 1.2 kB). Sharing the timers between
  connections would beat every connection's heartbeat at the same moment, and was not done.
- **Connect + close, and one request.** Gotalk's \`connect()\` resolves after the version
  handshake, one round trip between the two processes more than the raw connect, which does not
  even wait for the server process to accept. With \`handshake: 'pipeline'\` the first request
  leaves with the version, in one write, and "connect + one request + close" costs the round
  trips of the raw client and no more: through the delayed link, where a round trip (10 ms)
  outweighs the work, it comes within a few percent of raw, while waiting for the handshake pays
  the extra round trip (2 round trips against 1 for the bytes; with the TCP connection delayed
  too it would be 3 against 2). Over loopback a round trip costs tens of microseconds, and the
  figure is the work per connection: each Gotalk connection costs its client about twice the
  CPU of a raw one (about 0.5 against 0.25 ms here, the kernel's connect included: the peer and
  its parts, timers, the socket's options and addresses, the heartbeat sent at the handshake)
  and its server a peer of its own, spread thin in a profile with no one thing to remove, so
  pipelining moves the loopback figure by a few percent only.
${pool ? `\n${pool}` : ''}`;
}
