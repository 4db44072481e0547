// The Gotalk demo: one Node process serving a web page, the Gotalk WebSocket endpoint for it,
// and the same operations over TCP and a Unix socket, so browsers, the `gotalk` CLI and other
// programs all meet on one set of handlers.
//
//   npx --yes pnpm@10 demo [--http host:port] [--tcp host:port] [--unix path] [--allow-host name]…
//
// Pages reach it by a loopback name or an IP address; --allow-host adds a DNS name they may use
// (the Host check against DNS rebinding, see docs/security.md).
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { requestPath, serveDescription, Server, type Peer } from '@gotalk/node';
import { demoPeerOptions, installDemoHandlers } from './handlers.ts';
import { bundleContracts } from './page-contract.ts';
import { QuietLog } from './quiet-log.ts';

const { values } = parseArgs({
  options: {
    http: { type: 'string', default: '127.0.0.1:8080' },
    tcp: { type: 'string', default: '127.0.0.1:7000' },
    unix: { type: 'string', default: join(tmpdir(), 'gotalk-demo.sock') },
    'allow-host': { type: 'string', multiple: true, default: [] },
  },
});

const publicDir = new URL('./public/', import.meta.url);
const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

const gotalk = new Server({ ...demoPeerOptions, ws: { allowedHosts: values['allow-host'] } });
installDemoHandlers(gotalk);
// The page's copy of the contracts (contract.ts), bundled once.
const contracts = await bundleContracts();
// `gotalk ops` and `gotalk shell` ask the demo what it offers.
serveDescription(gotalk.handlers, { service: 'the Gotalk demo: a chat room of pages and terminals' });

const http = createServer(async (req, res) => {
  const path = requestPath(req);
  const file = path === '/' ? 'index.html' : (path ?? '').slice(1);
  if (file === 'contract.js') {
    res.writeHead(200, { 'content-type': types['.js']! }).end(contracts);
    return;
  }
  if (!/^[\w.-]+$/.test(file)) {
    res.writeHead(404).end('not found\n');
    return;
  }
  try {
    const body = await readFile(new URL(file, publicDir));
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(body);
  } catch {
    res.writeHead(404).end('not found\n');
  }
});
await gotalk.attach(http, { path: '/gotalk/' });

const [host, port] = splitHostPort(values.http);
await opening(
  '--http',
  values.http,
  () =>
    new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(port, host, resolve);
    }),
);
await opening('--tcp', values.tcp, () => gotalk.listen(`tcp://${values.tcp}`));
await opening('--unix', values.unix, () => gotalk.listen(`unix:${values.unix}`));

// Set before the banner says Ctrl-C stops it, so that a Ctrl-C right after the banner finds it.
// Ctrl-C reaches the demo twice when it runs under pnpm (the terminal signals the whole process
// group, and pnpm passes the signal on): a signal while stopping is that echo, not a second
// request. A stop that hangs is cut short after STOP_GRACE_MS, with exit 1.
const STOP_GRACE_MS = 5000;
let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  console.log('stopping…');
  setTimeout(() => {
    console.error(`the demo did not stop within ${STOP_GRACE_MS} ms`);
    process.exit(1);
  }, STOP_GRACE_MS).unref();
  http.close();
  await gotalk.close();
  process.exit(0);
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

const find = (scheme: string) => gotalk.addresses.find((a) => a.startsWith(scheme))!;
const [websocket, tcp, unix] = [find('ws:'), find('tcp:'), find('unix:')];
console.log(`Gotalk demo running
  page       ${websocket.replace(/^ws:/, 'http:').replace(/gotalk\/$/, '')}
  websocket  ${websocket}
  tcp        ${tcp}
  unix       ${unix}

Try from another terminal:
  npx --yes pnpm@10 gotalk ops ${tcp}
  npx --yes pnpm@10 gotalk call ${tcp} greet '{"name":"terminal"}'
  npx --yes pnpm@10 gotalk notify ${unix} chat '{"from":"terminal","text":"hello pages"}'
  npx --yes pnpm@10 gotalk call ${tcp} ask-pages '"What are you working on?"'
Ctrl-C stops it.`);

// Connections coming and going, without letting a flood of them flood the terminal.
const log = new QuietLog(console.log, () => ` (${gotalk.peers.size} connections open)`);
gotalk.on('connection', (peer: Peer) => log.line(`+ ${peer.info?.kind} ${peer.info?.remote ?? ''}`));
gotalk.on('disconnect', (peer: Peer, info) => log.line(`- ${peer.info?.kind} ${peer.info?.remote ?? ''} (${info.reason})`));

/**
 * Runs `open` (listening on `address`, the value of `option`); when it fails, says which address
 * could not be opened and how to choose others, closes what is open and exits 1, instead of a stack.
 */
async function opening(option: string, address: string, open: () => Promise<unknown>): Promise<void> {
  try {
    await open();
  } catch (err) {
    const e = err as { code?: string; message?: string };
    const inUse = e.code === 'EADDRINUSE' || e.code === 'ADDRESS_IN_USE';
    console.error(
      `The demo cannot listen on ${address} (${option}): ${inUse ? 'it is in use, perhaps by another demo' : (e.message ?? String(err))}.\n` +
        `Choose other addresses, e.g.: npx --yes pnpm@10 demo --http 127.0.0.1:8081 --tcp 127.0.0.1:7001 --unix ${join(tmpdir(), 'gotalk-demo-2.sock')}`,
    );
    http.close();
    await gotalk.close();
    process.exit(1);
  }
}

function splitHostPort(value: string): [string, number] {
  const i = value.lastIndexOf(':');
  return [value.slice(0, i).replace(/^\[|\]$/g, ''), Number(value.slice(i + 1))];
}
