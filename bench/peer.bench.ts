// Method: two peers over the in-memory pair (connectedPeers, heartbeats off), a fresh pair per case; warm up for time/4, then count echoes completed within `--time=ms` (default 2000): 1 in flight = one loop of sequential awaits, 64 in flight = 64 such loops at once; the stream case pushes 64 KiB parts through a stream echo and counts the bytes that come back.
import type * as PeerModule from '@gotalk/peer';
import type { Peer } from '@gotalk/peer';
import { benchTime, printAligned } from './micro.ts';

// The sources are measured (as the tests run them), typed by the package's declarations: a static
// import of the sources would pull them into the Node-typed test program, where their runtime-neutral
// timer declarations (env.d.ts) do not apply.
const peerSources = new URL('../packages/peer/src/index.ts', import.meta.url).href;
const { connectedPeers } = (await import(peerSources)) as typeof PeerModule;

const { timeMs: TIME_MS, warmupMs: WARMUP_MS } = benchTime(2000);

const BYTES_PAYLOAD = 32;
const STREAM_PART = 64 * 1024;
const JSON_VALUE = { id: 42, name: 'gotalk', tags: ['bench', 'json'], ok: true, ratio: 0.5 };
const JSON_BYTES = new TextEncoder().encode(JSON.stringify(JSON_VALUE)).length;

function payloadOf(size: number): Uint8Array {
  const p = new Uint8Array(size);
  for (let i = 0; i < size; i++) p[i] = 0x61 + (i % 26);
  return p;
}

/** Two peers with echo handlers: `echo` (bytes), `json` (JSON) and `stream` (parts back as they come). */
function echoPair(): [Peer, Peer] {
  const [client, server] = connectedPeers({ heartbeatInterval: 0 }, { heartbeatInterval: 0 });
  server.handlers
    .handleBytes('echo', (payload) => payload)
    .handle('json', (value) => value)
    .handleStream('stream', (parts) => parts);
  return [client, server];
}

interface Measured {
  /** Completed units (requests, or parts for the stream case). */
  readonly count: number;
  /** Payload bytes that came back. */
  readonly bytes: number;
  readonly ms: number;
}

/** Runs `inFlight` loops of `call` until `ms` has passed; counts the calls that completed in time. */
async function runLoops(ms: number, inFlight: number, call: () => Promise<unknown>, bytesPerCall: number): Promise<Measured> {
  const start = performance.now();
  const end = start + ms;
  let count = 0;
  const loop = async (): Promise<void> => {
    while (performance.now() < end) {
      await call();
      count++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, loop));
  const elapsed = performance.now() - start;
  return { count, bytes: count * bytesPerCall, ms: elapsed };
}

/** Streams 64 KiB parts through the echo for `ms`; counts what came back before the deadline. */
async function runStream(client: Peer, ms: number): Promise<Measured> {
  const part = payloadOf(STREAM_PART);
  let stop = false;
  async function* source(): AsyncGenerator<Uint8Array> {
    while (!stop) yield part;
  }
  const start = performance.now();
  const end = start + ms;
  let count = 0;
  let bytes = 0;
  let elapsed = 0;
  for await (const p of client.stream('stream', source())) {
    if (stop) continue; // draining what was still on the way after the deadline
    count++;
    bytes += p.length;
    const now = performance.now();
    if (now >= end) {
      elapsed = now - start;
      stop = true;
    }
  }
  return { count, bytes, ms: elapsed || performance.now() - start };
}

interface Row {
  readonly label: string;
  readonly inFlight: string;
  readonly rate: string;
  readonly unit: string;
  readonly latency: string;
  readonly mbps: string;
  readonly note?: string;
}

const rows: Row[] = [];

function fmtRate(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return n.toFixed(0);
}

function failedRow(label: string, inFlight: string, err: unknown): Row {
  return { label, inFlight, rate: '-', unit: '', latency: '-', mbps: '-', note: `failed: ${err instanceof Error ? err.message : String(err)}` };
}

async function requestCase(label: string, inFlight: number, call: (client: Peer) => Promise<unknown>, bytesPerCall: number): Promise<void> {
  const [client] = echoPair();
  try {
    const run = (ms: number) => runLoops(ms, inFlight, () => call(client), bytesPerCall);
    await run(WARMUP_MS);
    const m = await run(TIME_MS);
    const perSecond = (m.count * 1000) / m.ms;
    rows.push({
      label,
      inFlight: String(inFlight),
      rate: fmtRate(perSecond),
      unit: 'req/s',
      // Mean time from sending a request to its result: with N loops, N requests share each interval.
      latency: ((inFlight * 1e6) / perSecond).toFixed(1),
      mbps: ((m.bytes * 1000) / m.ms / 1e6).toFixed(2),
    });
  } catch (err) {
    rows.push(failedRow(label, String(inFlight), err));
  } finally {
    await client.close();
  }
}

async function streamCase(): Promise<void> {
  const label = `stream echo, ${STREAM_PART / 1024} KiB parts`;
  const [client] = echoPair();
  try {
    await runStream(client, WARMUP_MS);
    const m = await runStream(client, TIME_MS);
    const perSecond = (m.count * 1000) / m.ms;
    rows.push({
      label,
      inFlight: '1 stream',
      rate: fmtRate(perSecond),
      unit: 'parts/s',
      latency: '-',
      mbps: ((m.bytes * 1000) / m.ms / 1e6).toFixed(1),
    });
  } catch (err) {
    rows.push(failedRow(label, '1 stream', err));
  } finally {
    await client.close();
  }
}

function printTable(): void {
  const header = ['case', 'in flight', 'rate', '', 'µs/req', 'MB/s back'];
  const body = rows.map((r) => [r.label, r.inFlight, r.rate, r.unit, r.latency, r.mbps, r.note ?? '']);
  printAligned(header, body, [false, true, true, false, true, true]);
}

console.log(`peer benchmark: node ${process.version}, ${TIME_MS} ms per case after ${WARMUP_MS} ms warm-up`);
console.log('');
const bytesPayload = payloadOf(BYTES_PAYLOAD);
for (const inFlight of [1, 64]) {
  await requestCase(`bytes echo, ${BYTES_PAYLOAD} B`, inFlight, (c) => c.requestBytes('echo', bytesPayload), BYTES_PAYLOAD);
}
for (const inFlight of [1, 64]) {
  await requestCase(`JSON echo, ${JSON_BYTES} B object`, inFlight, (c) => c.request('json', JSON_VALUE), JSON_BYTES);
}
await streamCase();
printTable();
console.log('');
console.log('Each request is a full round trip through both peers and the real codec (encode, coalesced');
console.log('write, microtask delivery, decode, dispatch, reply). µs/req is the mean time a request waits for');
console.log('its result (in flight / rate). MB/s counts payload bytes that came back, 1 MB = 10^6 bytes.');
