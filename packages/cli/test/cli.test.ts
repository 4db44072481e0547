// End-to-end tests of the `gotalk` CLI: they run the REAL built binary (packages/cli/dist/main.js)
// as child processes against a `gotalk serve` child listening on TCP, a Unix socket and WebSocket.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect as netConnect, createServer, type AddressInfo, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, listen, RemoteError, type Server } from '@gotalk/node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
// The repository's test certificates (see their generate.sh), kept with @gotalk/node's tests.
const FIXTURES = fileURLToPath(new URL('../../node/test/fixtures/', import.meta.url));
const fixture = (name: string) => join(FIXTURES, name);

interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly bytes: Buffer;
}

/** Runs `gotalk ...args` to completion, feeding `input` on stdin. */
function gotalk(args: string[], options: { input?: string | Buffer; env?: Record<string, string> } = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, NO_COLOR: '1', ...options.env }, stdio: 'pipe' });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gotalk ${args.join(' ')} did not exit within 10 s; stderr: ${Buffer.concat(err).toString()}`));
    }, 10_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const bytes = Buffer.concat(out);
      resolve({ code, stdout: bytes.toString(), stderr: Buffer.concat(err).toString(), bytes });
    });
  });
}

/**
 * Runs `gotalk ...args` with an endless stdin: `fill` bytes written with backpressure until the
 * child exits (or `limit` bytes were taken, then stdin ends). Resolves with the result, the bytes
 * the child took (at most one write more than it read) and its peak RSS in MiB, sampled while
 * it ran (0 where /proc is missing).
 */
async function gotalkFed(args: string[], limit: number, fill = 0): Promise<Result & { fed: number; peakMiB: number }> {
  const child = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, NO_COLOR: '1' }, stdio: 'pipe' });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  child.stdin.on('error', () => {});
  const closed = once(child, 'close') as Promise<[number | null]>;
  let exited = false;
  void closed.then(() => (exited = true));
  let peakMiB = 0;
  const sample = () => {
    try {
      peakMiB = Math.max(peakMiB, peakRss(child.pid!));
    } catch {} // no /proc, or the child is gone
  };
  sample(); // at once, so that even a child that exits within the first tick is measured
  const sampler = setInterval(sample, 10);
  const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const chunk = Buffer.alloc(MiB, fill);
  let fed = 0;
  while (!exited && fed < limit) {
    fed += chunk.length;
    if (!child.stdin.write(chunk)) await Promise.race([once(child.stdin, 'drain').catch(() => {}), closed]); // EPIPE once the child is gone
  }
  child.stdin.end();
  const [code] = await closed;
  clearInterval(sampler);
  clearTimeout(killer);
  const bytes = Buffer.concat(out);
  return { code, stdout: bytes.toString(), stderr: Buffer.concat(err).toString(), bytes, fed, peakMiB };
}

/** A long-running `gotalk` child (serve, trace, listen) whose output lines can be awaited. */
class Background {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  stderr = '';
  private readonly exited: Promise<number | null>;
  private waiters: (() => void)[] = [];

  constructor(args: string[], env: Record<string, string> = {}) {
    this.child = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, NO_COLOR: '1', ...env }, stdio: 'pipe' });
    let partial = '';
    this.child.stdout!.on('data', (b: Buffer) => {
      const parts = (partial + b.toString()).split('\n');
      partial = parts.pop()!;
      this.lines.push(...parts);
      this.wake();
    });
    this.child.stderr!.on('data', (b: Buffer) => {
      this.stderr += b.toString();
      this.wake();
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => (this.wake(), resolve(code))));
    running.add(this);
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves with the first stdout line (from index `from`) matching `pattern`. */
  async line(pattern: RegExp | string, from = 0, timeout = 15_000): Promise<string> {
    const end = Date.now() + timeout;
    for (;;) {
      const found = this.lines.slice(from).find((l) => (typeof pattern === 'string' ? l.includes(pattern) : pattern.test(l)));
      if (found !== undefined) return found;
      if (this.child.exitCode !== null) throw new Error(`process exited (${this.child.exitCode}) before printing ${pattern}; stderr: ${this.stderr}`);
      if (Date.now() > end) throw new Error(`no line matching ${pattern} within ${timeout} ms; got:\n${this.lines.join('\n')}\nstderr: ${this.stderr}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  /** Resolves with the first `n` stdout lines. */
  async first(n: number): Promise<string[]> {
    const end = Date.now() + 8000;
    while (this.lines.length < n) {
      if (this.child.exitCode !== null) throw new Error(`process exited (${this.child.exitCode}); stderr: ${this.stderr}`);
      if (Date.now() > end) throw new Error(`fewer than ${n} lines; stderr: ${this.stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.lines.slice(0, n);
  }

  /** Sends `signal` and resolves with the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGINT'): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill(signal);
    const code = await Promise.race([this.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 5000))]);
    if (code === 'hung') {
      this.child.kill('SIGKILL');
      throw new Error(`process ignored ${signal}`);
    }
    running.delete(this);
    return code;
  }
}

const running = new Set<Background>();
let dir = '';
let serve: Background;
let tcp = '';
let unix = '';
let ws = '';
const testServers: Server[] = [];

/** A TCP port that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

/** The peak resident memory of process `pid` in MiB (Linux: /proc/<pid>/status). */
function peakRss(pid: number): number {
  return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

/** The address a `gotalk trace` child listens on, from its first line. */
async function traceAddress(t: Background): Promise<string> {
  const [first] = await t.first(1);
  return /^listening on (\S+), forwarding to /.exec(first!)![1]!;
}

/**
 * Writes `bytes` to `socket`, waiting for drain (or its end) when it asks to. The listeners go
 * once either comes: a race of two `once()` would leave the loser's behind on every full write.
 */
async function write(socket: Socket, bytes: Uint8Array): Promise<void> {
  if (socket.write(bytes)) return;
  await new Promise<void>((resolve) => {
    const events = ['drain', 'close', 'error'] as const;
    const done = (): void => {
      for (const e of events) socket.off(e, done);
      resolve();
    };
    for (const e of events) socket.on(e, done);
  });
}

const MiB = 1024 * 1024;

beforeAll(async () => {
  if (!existsSync(MAIN)) {
    throw new Error(`${MAIN} is missing: build the CLI first (npx --yes pnpm@10 exec tsc -b packages/cli)`);
  }
  dir = await mkdtemp(join(tmpdir(), 'gotalk-cli-'));
  serve = new Background(['serve', 'tcp://127.0.0.1:0', `unix:${dir}/s.sock`, 'ws://127.0.0.1:0/gotalk/']);
  [tcp, unix, ws] = (await serve.first(3)) as [string, string, string];
});

afterAll(async () => {
  for (const s of testServers) await s.close();
  await Promise.all([...running].map((b) => b.stop('SIGKILL').catch(() => {})));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.concurrent('gotalk serve', () => {
  test('prints each listening address, ports resolved, one per line', () => {
    expect(tcp).toMatch(/^tcp:\/\/127\.0\.0\.1:[1-9]\d*$/);
    expect(unix).toBe(`unix:${dir}/s.sock`);
    expect(ws).toMatch(/^ws:\/\/127\.0\.0\.1:[1-9]\d*\/gotalk\/$/);
  });

  test('an address already in use exits 3 naming it', async () => {
    const r = await gotalk(['serve', tcp]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/^gotalk serve: .*(EADDRINUSE|in use)/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  test('tls:// without --cert/--key is a usage error', async () => {
    const r = await gotalk(['serve', 'tls://127.0.0.1:0']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('needs --cert and --key');
  });

  test('tls:// and wss:// with --cert/--key; clients verify with --ca, or not with -k', async () => {
    const s = new Background(['serve', '--cert', fixture('server.pem'), '--key', fixture('server-key.pem'), 'tls://127.0.0.1:0', 'wss://127.0.0.1:0/g/']);
    const [tls, wss] = (await s.first(2)) as [string, string];
    const [trusted, untrusted, insecure] = await Promise.all([
      gotalk(['call', '--ca', fixture('ca.pem'), tls, 'greet', '{"name":"TLS"}']),
      gotalk(['call', tls, 'echo', '1']),
      gotalk(['call', '-k', wss, 'echo', '2']),
    ]);
    expect(trusted, trusted.stderr).toMatchObject({ code: 0, stdout: '{"greeting":"Hello TLS"}\n' });
    expect(untrusted.code, untrusted.stderr).toBe(3);
    expect(untrusted.stderr).toContain('unable to verify the first certificate');
    expect(insecure, insecure.stderr).toMatchObject({ code: 0, stdout: '2\n' });
    expect(await s.stop()).toBe(0);
  });

  test('50 sleep requests in flight on one connection: all answered, no MaxListenersExceededWarning', async () => {
    const s = new Background(['serve', 'tcp://127.0.0.1:0']);
    const [address] = (await s.first(1)) as [string];
    const client = await connect(address);
    try {
      const results = await Promise.all(Array.from({ length: 50 }, () => client.request('sleep', 300)));
      expect(results).toEqual(Array.from({ length: 50 }, () => ({ slept: 300 })));
    } finally {
      client.destroy();
    }
    expect(await s.stop()).toBe(0);
    expect(s.stderr).not.toContain('MaxListenersExceededWarning');
    expect(s.stderr).not.toContain('Warning');
  });

  test('SIGTERM shuts down gracefully (exit 0) and removes the Unix socket file; --verbose logs activity', async () => {
    const sock = join(dir, 'graceful.sock');
    const s = new Background(['serve', '--verbose', `unix:${sock}`]);
    await s.first(1);
    expect(existsSync(sock)).toBe(true);
    const r = await gotalk(['call', `unix:${sock}`, 'echo', '1']);
    expect(r.stdout).toBe('1\n');
    await expect.poll(() => s.stderr).toContain('-> result id=0x00000000 1B');
    expect(s.stderr).toContain('<- request echo id=0x00000000 1B');
    expect(s.stderr).toMatch(/#1 connected from/);
    expect(await s.stop('SIGTERM')).toBe(0);
    expect(existsSync(sock)).toBe(false);
  });
});

/**
 * Opens a WebSocket to `address` as a page would (with the `Host` and `Origin` given) and
 * resolves with the binary messages received within the first `count`, or with the HTTP status
 * it was refused with. `send` is written once the socket opens.
 */
function pageSocket(
  address: string,
  options: { host?: string; origin: string; send?: string; count?: number },
): Promise<{ status: number; messages: string[] }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(address, { origin: options.origin, perMessageDeflate: false, ...(options.host ? { headers: { host: options.host } } : {}) });
    const messages: string[] = [];
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`only ${messages.length} messages: ${JSON.stringify(messages)}`));
    }, 15_000);
    const done = (status: number) => {
      clearTimeout(timer);
      socket.terminate();
      resolve({ status, messages });
    };
    socket.on('unexpected-response', (_req, res) => done(res.statusCode ?? 0));
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('open', () => {
      if (options.send !== undefined) socket.send(Buffer.from(options.send));
      if (!options.count) done(101);
    });
    socket.on('message', (data: Buffer) => {
      // Heartbeats come when they come: the one sent on opening leads a message, or is one.
      const text = data.toString('latin1').replace(/^h[0-9a-f]{12}/, '');
      if (text !== '') messages.push(text);
      if (messages.length >= (options.count ?? 0)) done(101);
    });
  });
}

describe.concurrent('gotalk serve, WebSocket options', () => {
  const request = '01r0001004echo00000007"hello"';

  test('--split-messages: the version, each header and each payload in a message of its own (gotalk.js 1.2)', async ({ expect }) => {
    const s = new Background(['serve', '--split-messages', 'ws://127.0.0.1:0/gotalk/']);
    const [address] = (await s.first(1)) as [string];
    const split = await pageSocket(address, { origin: `http://${new URL(address).host}`, send: request, count: 3 });
    expect(split.status).toBe(101);
    expect(split.messages).toEqual(['01', 'R000100000007', '"hello"']);
    // Without it, a reply is one message.
    const batched = await pageSocket(ws, { origin: `http://${new URL(ws).host}`, send: request, count: 2 });
    expect(batched.messages).toEqual(['01', 'R000100000007"hello"']);
    expect(await s.stop()).toBe(0);
  });

  test('--allow-host: pages under that name connect; other names get 403, reported once on stderr naming the option', async ({ expect }) => {
    const s = new Background(['serve', '--allow-host', 'app.example', '--allow-host', '.corp.example', 'ws://127.0.0.1:0/gotalk/']);
    const [address] = (await s.first(1)) as [string];
    const port = new URL(address).port;
    const as = (name: string) => pageSocket(address, { host: `${name}:${port}`, origin: `http://${name}:${port}` });
    expect((await as('app.example')).status).toBe(101);
    expect((await as('x.corp.example')).status).toBe(101);
    expect((await as('localhost')).status).toBe(101);
    expect((await as('127.0.0.1')).status).toBe(101);
    // A DNS rebinding page: its Host and Origin agree, but its name is not one of the server's.
    expect((await as('evil.example')).status).toBe(403);
    expect((await as('evil.example')).status).toBe(403);
    await expect.poll(() => s.stderr).toContain('--allow-host evil.example');
    expect(s.stderr.match(/refused a WebSocket upgrade/g)).toHaveLength(1);
    // Without --allow-host, app.example is refused too.
    expect((await pageSocket(ws, { host: `app.example:${new URL(ws).port}`, origin: `http://app.example:${new URL(ws).port}` })).status).toBe(403);
    expect(await s.stop()).toBe(0);
  });

  test("--allow-host '*' allows any host; a value that is not a host name is a usage error", async ({ expect }) => {
    const s = new Background(['serve', '--allow-host', '*', 'ws://127.0.0.1:0/gotalk/']);
    const [address] = (await s.first(1)) as [string];
    expect((await pageSocket(address, { host: 'evil.example', origin: 'http://evil.example' })).status).toBe(101);
    expect(await s.stop()).toBe(0);
    const bad = await gotalk(['serve', '--allow-host', 'example.com:8080', 'ws://127.0.0.1:0/gotalk/']);
    expect(bad.code, bad.stderr).toBe(2);
    expect(bad.stderr).toContain('--allow-host: "example.com:8080" is not a host name');
  });
});

describe.concurrent.each([
  ['tcp', () => tcp],
  ['unix', () => unix],
  ['ws', () => ws],
])('gotalk call over %s', (_, address) => {
  test('echo returns the payload; output is compact JSON off a terminal', async () => {
    const r = await gotalk(['call', address(), 'echo', '{ "a": [1, 2], "b": "x" }']);
    expect(r, r.stderr).toMatchObject({ code: 0, stdout: '{"a":[1,2],"b":"x"}\n', stderr: '' });
  });

  test('greet is a typed operation', async () => {
    const r = await gotalk(['call', address(), 'greet', '{"name":"Ada"}']);
    expect(r, r.stderr).toMatchObject({ code: 0, stdout: '{"greeting":"Hello Ada"}\n' });
    const bad = await gotalk(['call', address(), 'greet', '{"nom":"Ada"}']);
    expect(bad.code, bad.stderr).toBe(1);
    expect(bad.stderr).toMatch(/^gotalk call: remote error: invalid input: name: /);
  });

  test('fail exits 1 with the remote error text on stderr', async () => {
    const r = await gotalk(['call', address(), 'fail', '"disk on fire"']);
    expect(r, r.stderr).toMatchObject({ code: 1, stdout: '', stderr: 'gotalk call: remote error: disk on fire\n' });
  });

  test('sleep answers after the wait', async () => {
    const r = await gotalk(['call', address(), 'sleep', '20']);
    expect(r, r.stderr).toMatchObject({ code: 0, stdout: '{"slept":20}\n' });
  });

  test('--timeout 100 against sleep 2000 exits 4 (had the sleep ended first, it would exit 0)', async () => {
    const r = await gotalk(['call', '--timeout', '100', address(), 'sleep', '2000']);
    expect(r.code, r.stderr).toBe(4);
    // --timeout covers connecting too: on a loaded machine that alone may take the 100 ms.
    expect(r.stderr).toMatch(/^gotalk call: timed out: (no result for "sleep"|could not connect to \S+) within 100 ms \(--timeout\)\n$/);
  });
});

describe.concurrent('gotalk call', () => {
  test('an unknown operation exits 1 with the responder text', async () => {
    const r = await gotalk(['call', tcp, 'nope']);
    expect(r, r.stderr).toMatchObject({ code: 1, stderr: 'gotalk call: remote error: unknown operation "nope"\n' });
  });

  test('connection refused on a closed port exits 3', async () => {
    const port = await closedPort();
    const r = await gotalk(['call', `tcp://127.0.0.1:${port}`, 'echo']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/^gotalk call: cannot connect to tcp:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);
    expect(r.stderr.split('\n')).toHaveLength(2); // one line, no stack
  });

  test('a server that accepts but never answers the handshake: --timeout covers connecting, exit 4', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    try {
      const r = await gotalk(['call', '--timeout', '300', `tcp://127.0.0.1:${(silent.address() as AddressInfo).port}`, 'echo']);
      expect(r.code, r.stderr).toBe(4);
      expect(r.stderr).toMatch(/^gotalk call: timed out: could not connect to tcp:\/\/127\.0\.0\.1:\d+ within 300 ms \(--timeout\)\n$/);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  test('a server that breaks the protocol exits 5 (garbage, an f frame, or another version)', async () => {
    const replies = ['01zz', '01f00000002', '02'];
    const sockets: Socket[] = [];
    const bad = createServer((socket) => {
      sockets.push(socket);
      socket.on('error', () => {});
      socket.end(replies[sockets.length - 1] ?? '');
    });
    await new Promise<void>((r) => bad.listen(0, '127.0.0.1', () => r()));
    try {
      const address = `tcp://127.0.0.1:${(bad.address() as AddressInfo).port}`;
      for (const reply of replies) {
        const r = await gotalk(['call', '--timeout', '3000', address, 'echo']);
        expect(r.code, `${reply}: ${r.stderr}`).toBe(5);
        expect(r.stderr.split('\n')).toHaveLength(2);
      }
    } finally {
      for (const socket of sockets) socket.destroy();
      bad.close();
    }
  });

  test('an empty or over-long op or notification name is a usage error, before connecting', async () => {
    const nowhere = 'tcp://127.0.0.1:1';
    const [call, stream, notify, long] = await Promise.all([
      gotalk(['call', nowhere, '']),
      gotalk(['stream', nowhere, '']),
      gotalk(['notify', nowhere, '']),
      gotalk(['call', nowhere, 'x'.repeat(4096)]),
    ]);
    for (const r of [call, stream, notify, long]) expect(r.code, r.stderr).toBe(2);
    expect(call.stderr).toMatch(/^gotalk call: <op> must be 1 to 4095 bytes of UTF-8, got 0\n/);
    expect(notify.stderr).toContain('<name> must be 1 to 4095 bytes of UTF-8, got 0');
    expect(long.stderr).toContain('got 4096');
  });

  test('a missing Unix socket exits 3', async () => {
    const r = await gotalk(['call', `unix:${dir}/nobody.sock`, 'echo']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/cannot connect to unix:.*nobody\.sock: .*ENOENT/);
  });

  test('a WebSocket path that is not an endpoint exits 3', async () => {
    const r = await gotalk(['call', ws.replace('/gotalk/', '/elsewhere/'), 'echo']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain('HTTP 404');
  });

  test("the CLI's own messages keep their line breaks (only text from the other side is escaped)", async () => {
    const r = await gotalk(['call', '--timeout', '-5', tcp, 'echo']); // Node's option parser answers in several lines
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^gotalk call: Option '--timeout' argument is ambiguous\.\n/);
    expect(r.stderr).not.toContain('\\n');
  });

  test('a payload that is not JSON is a usage error naming the problem', async () => {
    const r = await gotalk(['call', tcp, 'echo', '{name: Ada}']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(
      /^gotalk call: the payload is not valid JSON \(.+\); quote strings as '"text"' or use --raw\nRun 'gotalk call --help' for usage\.\n$/,
    );
  });

  test('usage errors exit 2: missing arguments, unknown options, bad numbers, bad addresses', async () => {
    const [missing, unknown, badTimeout, badAddress, extra] = await Promise.all([
      gotalk(['call', tcp]),
      gotalk(['call', '--frobnicate', tcp, 'echo']),
      gotalk(['call', '--timeout', 'soon', tcp, 'echo']),
      gotalk(['call', 'localhost:1234', 'echo']),
      gotalk(['call', tcp, 'echo', '1', '2']),
    ]);
    expect(missing, missing.stderr).toMatchObject({ code: 2 });
    expect(missing.stderr).toContain('missing arguments: expected <address> <op> [payload]');
    expect(unknown, unknown.stderr).toMatchObject({ code: 2 });
    expect(unknown.stderr).toContain("Unknown option '--frobnicate'");
    expect(badTimeout.stderr).toContain('--timeout must be a whole number');
    expect(badAddress, badAddress.stderr).toMatchObject({ code: 2 });
    expect(badAddress.stderr).toContain('unknown scheme');
    expect(extra.stderr).toContain('too many arguments: "2"');
  });

  test('payload from @file, and a missing file is a usage error', async () => {
    const file = join(dir, 'payload.json');
    await writeFile(file, '{\n  "name": "File"\n}\n');
    const r = await gotalk(['call', tcp, 'greet', `@${file}`]);
    expect(r, r.stderr).toMatchObject({ code: 0, stdout: '{"greeting":"Hello File"}\n' });
    const missing = await gotalk(['call', tcp, 'greet', `@${dir}/nope.json`]);
    expect(missing.code, missing.stderr).toBe(2);
    expect(missing.stderr).toContain(`cannot read ${dir}/nope.json: no such file`);
  });

  test('payload from stdin with -', async () => {
    const r = await gotalk(['call', unix, 'greet', '-'], { input: '{"name":"Stdin"}' });
    expect(r, r.stderr).toMatchObject({ code: 0, stdout: '{"greeting":"Hello Stdin"}\n' });
    const bad = await gotalk(['call', unix, 'greet', '-'], { input: 'not json' });
    expect(bad.code, bad.stderr).toBe(2);
    expect(bad.stderr).toContain('the payload from stdin is not valid JSON');
  });

  test.skipIf(!existsSync('/proc/self/status'))('stdin over the 8 MiB payload limit fails at once (exit 5), read no further', async () => {
    for (const raw of [['--raw'], []]) {
      const r = await gotalkFed(['call', ...raw, tcp, 'echo', '-'], 256 * MiB, 0x20);
      expect(r, r.stderr).toMatchObject({ code: 5, stdout: '', stderr: 'gotalk call: the payload from stdin is over the limit of 8388608 bytes\n' });
      expect(r.fed / MiB, 'MiB taken from stdin').toBeLessThan(24);
      expect(r.peakMiB, 'peak RSS in MiB (sampled from /proc)').toBeGreaterThan(0);
      expect(r.peakMiB, 'peak RSS in MiB').toBeLessThan(160);
    }
    const file = join(dir, 'big.json');
    await writeFile(file, Buffer.alloc(8 * MiB + 1, 0x20));
    const big = await gotalk(['call', tcp, 'echo', `@${file}`]);
    expect(big, big.stderr).toMatchObject({ code: 5, stderr: `gotalk call: the payload in ${file} is over the limit of 8388608 bytes\n` });
    const exact = await gotalk(['call', '--raw', tcp, 'echo', '-'], { input: Buffer.alloc(8 * MiB, 0x61) });
    expect(exact.code, exact.stderr).toBe(0);
    expect(exact.bytes.length).toBe(8 * MiB);
  });

  test('--raw sends and prints bytes unchanged (from stdin and from an argument)', async () => {
    const binary = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x0a, 0x7b]);
    const r = await gotalk(['call', '--raw', ws, 'echo', '-'], { input: binary });
    expect(r.code, r.stderr).toBe(0);
    expect(r.bytes.equals(binary)).toBe(true);
    const text = await gotalk(['call', '--raw', tcp, 'echo', 'not json at all']);
    expect(text, text.stderr).toMatchObject({ code: 0, stdout: 'not json at all' });
  });

  test('a result that is not JSON is printed as it is, with a note on stderr', async () => {
    const server = await listen('tcp://127.0.0.1:0');
    testServers.push(server);
    server.handlers.handleBytes('plain', () => new TextEncoder().encode('plain text, not JSON'));
    const r = await gotalk(['call', server.addresses[0]!, 'plain']);
    expect(r, r.stderr).toMatchObject({ code: 0, stdout: 'plain text, not JSON' });
    expect(r.stderr).toBe('gotalk call: the result is not JSON; printed as it is (use --raw to silence this)\n');
    // A JSON result is printed as JSON, without the note; --raw prints bytes, without the note.
    const json = await gotalk(['call', tcp, 'echo', '"x"']);
    expect(json).toMatchObject({ code: 0, stdout: '"x"\n', stderr: '' });
    const raw = await gotalk(['call', '--raw', server.addresses[0]!, 'plain']);
    expect(raw).toMatchObject({ code: 0, stdout: 'plain text, not JSON', stderr: '' });
  });
});

describe.concurrent('gotalk stream', () => {
  test('stdin lines become parts; result parts are printed as they arrive (tcp and ws)', async () => {
    for (const address of [tcp, ws]) {
      const r = await gotalk(['stream', address, 'echo-stream'], { input: 'one\ntwo\n\nthree\n' });
      expect(r, r.stderr).toMatchObject({ code: 0, stdout: 'one\ntwo\nthree\n', stderr: '' });
    }
  });

  test('--chunks sends and prints raw chunks', async () => {
    const data = Buffer.alloc(200_000, 'abcdefgh');
    const r = await gotalk(['stream', '--chunks', unix, 'echo-stream'], { input: data });
    expect(r.code, r.stderr).toBe(0);
    expect(r.bytes.equals(data)).toBe(true);
  });

  test('lines are sent as the bytes they are: not UTF-8, split across reads, \\r\\n ends a line, a lone \\r does not', async () => {
    const long = Buffer.alloc(8 * MiB, 0xff); // exactly the payload limit, read in many chunks
    const input = Buffer.concat([Buffer.from('ab\xff\xfecd\n\x00\x01\r\n\r\nx\ry\n', 'latin1'), long, Buffer.from('\r\nlast\r', 'latin1')]);
    const r = await gotalk(['stream', unix, 'echo-stream'], { input });
    expect(r.code, r.stderr).toBe(0);
    const expected = Buffer.concat([Buffer.from('ab\xff\xfecd\n\x00\x01\nx\ry\n', 'latin1'), long, Buffer.from('\nlast\r\n', 'latin1')]);
    expect(r.bytes.subarray(0, 20).toString('hex')).toBe(expected.subarray(0, 20).toString('hex'));
    expect(r.bytes.equals(expected), 'echoed bytes equal the lines sent').toBe(true);
  });

  test.skipIf(!existsSync('/proc/self/status'))('a line over the 8 MiB payload limit fails at once (exit 5), stdin read no further', async () => {
    const r = await gotalkFed(['stream', tcp, 'echo-stream'], 256 * MiB, 0x61);
    expect(r, r.stderr).toMatchObject({
      code: 5,
      stdout: '',
      stderr: 'gotalk stream: line 1 of stdin is over the limit of 8388608 bytes for one part; use --chunks for data that is not lines\n',
    });
    expect(r.fed / MiB, 'MiB taken from stdin').toBeLessThan(24);
    expect(r.peakMiB, 'peak RSS in MiB (sampled from /proc)').toBeGreaterThan(0);
    expect(r.peakMiB, 'peak RSS in MiB').toBeLessThan(160);
    const third = await gotalk(['stream', tcp, 'echo-stream'], {
      input: Buffer.concat([Buffer.from('one\n\n'), Buffer.alloc(8 * MiB + 1, 0x61), Buffer.from('\nfour\n')]),
    });
    expect(third.code, third.stderr).toBe(5);
    expect(third.stderr).toMatch(/^gotalk stream: line 3 of stdin is over the limit/);
  });

  test('a remote error exits 1', async () => {
    const r = await gotalk(['stream', tcp, 'fail'], { input: '"stream broke"\n' });
    expect(r, r.stderr).toMatchObject({ code: 1, stderr: 'gotalk stream: remote error: stream broke\n' });
  });
});

describe.concurrent('gotalk notify', () => {
  test('ping comes back as pong to the notifier (--wait)', async () => {
    const r = await gotalk(['notify', '--wait', '400', tcp, 'ping', '"hello"']);
    expect(r, r.stderr).toMatchObject({ code: 0, stdout: 'notification pong "hello"\n' });
    const json = await gotalk(['notify', '--wait', '400', '--json', ws, 'ping', '{"n":1}']);
    expect(JSON.parse(json.stdout)).toEqual({ type: 'notification', name: 'pong', size: 7, payload: { n: 1 } });
  });

  test('without --wait it sends and exits 0 at once', async () => {
    const r = await gotalk(['notify', unix, 'anything', '[1]']);
    expect(r, r.stderr).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });
});

describe.concurrent('gotalk listen', () => {
  /** A server that, once a client connects, notifies it and then sends it a request. */
  async function talker(): Promise<{ server: Server; address: string; reply: Promise<unknown> }> {
    const server = await listen('tcp://127.0.0.1:0');
    testServers.push(server);
    let settle!: (v: unknown) => void;
    const reply = new Promise<unknown>((r) => (settle = r));
    server.on('connection', (peer) => {
      void (async () => {
        await peer.ready;
        peer.notify('hello', { n: 1 });
        peer.notifyBytes('raw', Buffer.from([0x01, 0x41]));
        settle(await peer.request('question', { q: 42 }).catch((e: unknown) => e));
      })();
    });
    return { server, address: server.addresses[0]!, reply };
  }

  test('prints notifications and requests, answers requests with an error, exits 0 on SIGINT', async () => {
    const { address, reply } = await talker();
    const l = new Background(['listen', address]);
    expect(await l.line('notification hello')).toBe('notification hello {"n":1}');
    expect(await l.line('notification raw')).toBe('notification raw \\x01A');
    expect(await l.line('request question')).toBe('request question {"q":42} (answered: error)');
    const answer = await reply;
    expect(answer).toBeInstanceOf(RemoteError);
    expect((answer as Error).message).toBe('gotalk listen does not serve requests');
    expect(await l.stop('SIGINT')).toBe(0);
  });

  test('--echo --json: JSON lines, requests echoed; exits 3 when the server goes away', async () => {
    const { server, address, reply } = await talker();
    const l = new Background(['listen', '--echo', '--json', address]);
    expect(JSON.parse(await l.line('"hello"'))).toEqual({ type: 'notification', name: 'hello', size: 7, payload: { n: 1 } });
    expect(JSON.parse(await l.line('"raw"'))).toEqual({ type: 'notification', name: 'raw', size: 2, text: '\x01A' });
    expect(JSON.parse(await l.line('"question"'))).toEqual({ type: 'request', name: 'question', size: 8, payload: { q: 42 }, answer: 'echoed' });
    expect(await reply).toEqual({ q: 42 });
    await server.close();
    const code = await new Promise((r) => l.child.once('exit', r));
    expect(code).toBe(3);
    expect(l.stderr).toContain('gotalk listen: the connection ended');
    running.delete(l);
  });

  test('a connection that ends on a protocol error exits 5', async () => {
    const sockets: Socket[] = [];
    const bad = createServer((socket) => {
      sockets.push(socket);
      socket.on('error', () => {});
      socket.write('01');
      setTimeout(() => socket.write('x0000garbage'), 200); // after the handshake: no frame type
    });
    await new Promise<void>((r) => bad.listen(0, '127.0.0.1', () => r()));
    try {
      const l = new Background(['listen', `tcp://127.0.0.1:${(bad.address() as AddressInfo).port}`]);
      const code = await new Promise((r) => l.child.once('exit', r));
      expect(code, l.stderr).toBe(5);
      expect(l.stderr).toContain('gotalk listen: the connection ended: unknown frame type byte 0x78');
      running.delete(l);
    } finally {
      for (const socket of sockets) socket.destroy();
      bad.close();
    }
  });

  test('names and payloads from the other side are printed with terminal controls escaped', async () => {
    const server = await listen('tcp://127.0.0.1:0');
    testServers.push(server);
    server.on('connection', (peer) => {
      void (async () => {
        await peer.ready;
        peer.notify('\x1b]0;X\x07', '\u009b2J'); // sets the terminal title; C1 CSI (JSON leaves it raw)
        await peer.request('\x1b[2J', 1).catch(() => {}); // clears the screen
      })();
    });
    const l = new Background(['listen', server.addresses[0]!]);
    expect(await l.line('notification')).toBe('notification \\x1b]0;X\\x07 "\\xc2\\x9b2J"');
    expect(await l.line('request')).toBe('request \\x1b[2J 1 (answered: error)');
    expect(l.lines.join('\n')).not.toMatch(/[\x1b\x07\u009b]/);
    expect(await l.stop('SIGINT')).toBe(0);
  });
});

describe.concurrent('gotalk trace', () => {
  test('to a tls:// upstream at an IP address, sends no SNI (as connect() does; Node deprecates an IP there)', async ({ expect }) => {
    const names: (string | false | undefined)[] = [];
    const upstream = createTlsServer({ cert: readFileSync(fixture('server.pem')), key: readFileSync(fixture('server-key.pem')) }, (socket) => {
      names.push((socket as unknown as { servername?: string | false }).servername);
      socket.end();
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    const t = new Background(['trace', '--insecure', 'tcp://127.0.0.1:0', `tls://127.0.0.1:${(upstream.address() as AddressInfo).port}`]);
    const raw = netConnect(Number(new URL(await traceAddress(t)).port), '127.0.0.1');
    try {
      await once(raw, 'connect');
      raw.write('01');
      await expect.poll(() => names.length, { timeout: 10_000 }).toBe(1);
      expect(names[0]).toBeFalsy();
    } finally {
      raw.destroy();
      upstream.close();
    }
    expect(await t.stop()).toBe(0);
    expect(t.stderr).not.toMatch(/DEP0123|RFC 6066/);
  });

  test('forwards verbatim and prints each frame (text): arrow, type, id, op, size, preview', async () => {
    const t = new Background(['trace', 'tcp://127.0.0.1:0', tcp]);
    const [first] = await t.first(1);
    const address = /^listening on (\S+), forwarding to /.exec(first!)![1]!;
    const r = await gotalk(['call', address, 'greet', '{"name":"Ada"}']);
    expect(r, r.stderr).toMatchObject({ code: 0, stdout: '{"greeting":"Hello Ada"}\n' });
    await t.line('#1 -- closed by the client');
    expect(t.lines).toContain('#1 -> version 1');
    expect(t.lines).toContain('#1 <- version 1');
    expect(t.lines).toContain('#1 -> r request id=0x00000000 greet 14B {"name":"Ada"}');
    expect(t.lines).toContain('#1 <- R result id=0x00000000 24B {"greeting":"Hello Ada"}');
    expect(t.lines.some((l) => /^#1 -> h heartbeat load=\d+ time=\d{4}-/.test(l))).toBe(true);

    // A stream and an error result through the same trace.
    const s = await gotalk(['stream', address, 'echo-stream'], { input: 'a\nb\n' });
    expect(s.stdout).toBe('a\nb\n');
    const f = await gotalk(['call', address, 'fail', '"no\\nway"']);
    expect(f.code, f.stderr).toBe(1);
    await t.line('#3 -- closed by the client');
    expect(t.lines).toContain('#2 -> s stream-request id=0x80000000 echo-stream 1B a');
    expect(t.lines).toContain('#2 -> p stream-part id=0x80000000 0B');
    expect(t.lines).toContain('#2 <- S stream-result id=0x80000000 1B b');
    expect(t.lines).toContain('#3 <- E error id=0x00000000 6B no\\nway');

    // Bytes that do not decode: one line, and they are still forwarded (the server answers f).
    const raw = netConnect(Number(new URL(address).port), '127.0.0.1');
    const got: Buffer[] = [];
    raw.on('data', (b: Buffer) => got.push(b));
    raw.write('01x000100000000');
    await new Promise((r) => raw.on('close', r));
    expect(Buffer.concat(got).toString()).toMatch(/f00000002$/);
    expect(await t.line('#4 -- cannot decode')).toBe(
      '#4 -- cannot decode what the client sends: unknown frame type byte 0x78 (at byte 2); forwarding it undecoded',
    );
    expect(await t.line('#4 <- f protocol-error code=2')).toBeTruthy();
    expect(await t.stop('SIGINT')).toBe(0);
  });

  test('--json over WebSocket to a Unix upstream: one object per frame', async () => {
    const t = new Background(['trace', '--json', 'ws://127.0.0.1:0/trace/', unix]);
    const [first] = await t.first(1);
    const head = JSON.parse(first!) as { event: string; address: string; upstream: string };
    expect(head).toMatchObject({ event: 'listening', upstream: unix });
    expect(head.address).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/trace\/$/);
    const r = await gotalk(['call', head.address, 'echo', '[1,2,3]']);
    expect(r, r.stderr).toMatchObject({ code: 0, stdout: '[1,2,3]\n' });
    await t.line('"event":"close"');
    const frames = t.lines.slice(1).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(frames).toContainEqual({ conn: 1, event: 'open', client: expect.stringMatching(/^127\.0\.0\.1:\d+$/), upstream: unix });
    expect(frames).toContainEqual({ conn: 1, from: 'client', type: 'version', version: 1 });
    expect(frames).toContainEqual({ conn: 1, from: 'client', type: 'r', id: '0x00000000', op: 'echo', size: 7, payload: '[1,2,3]' });
    expect(frames).toContainEqual({ conn: 1, from: 'upstream', type: 'R', id: '0x00000000', size: 7, payload: '[1,2,3]' });
    expect(frames).toContainEqual({ conn: 1, event: 'close', by: 'client' });
    expect(await t.stop('SIGTERM')).toBe(0);
  });

  test('colour with FORCE_COLOR; an unreachable upstream is reported and the client dropped', async () => {
    const port = await closedPort();
    const t = new Background(['trace', 'tcp://127.0.0.1:0', `tcp://127.0.0.1:${port}`], { FORCE_COLOR: '1', NO_COLOR: '' });
    const [first] = await t.first(1);
    const address = /^listening on (\S+),/.exec(first!)![1]!;
    const r = await gotalk(['call', address, 'echo', '1']);
    expect(r.code, r.stderr).toBe(3);
    const line = await t.line('ECONNREFUSED');
    expect(line).toMatch(/^\x1b\[2m#1\x1b\[22m \x1b\[33m--\x1b\[39m cannot connect to tcp:/);
    await t.stop();
  });

  test.skipIf(!existsSync('/proc/self/status'))(
    'frames declaring huge payloads: shown with their size, forwarded byte-exact, memory stays bounded',
    async ({ expect }) => {
      const got = createHash('sha256');
      let gotBytes = 0;
      const sinkSockets: Socket[] = [];
      const sink = createServer((socket) => {
        sinkSockets.push(socket);
        socket.on('data', (b: Buffer) => {
          got.update(b);
          gotBytes += b.length;
        });
      });
      await new Promise<void>((r) => sink.listen(0, '127.0.0.1', () => r()));
      const t = new Background(['trace', 'tcp://127.0.0.1:0', `tcp://127.0.0.1:${(sink.address() as AddressInfo).port}`]);
      const raw = netConnect(Number(new URL(await traceAddress(t)).port), '127.0.0.1');
      try {
        await once(raw, 'connect');
        const before = peakRss(t.child.pid!);
        const sent = createHash('sha256');
        let sentBytes = 0;
        const send = (bytes: Buffer) => {
          sent.update(bytes);
          sentBytes += bytes.length;
          return write(raw, bytes);
        };
        // A whole 160 MiB payload, a small frame after it, then 16 MiB of a payload declared as 4 GiB - 1.
        await send(Buffer.from(`01n004bulk${(160 * MiB).toString(16).padStart(8, '0')}`));
        for (let i = 0; i < 160; i++) await send(Buffer.alloc(MiB, i));
        await send(Buffer.from('n005after00000002hi'));
        await send(Buffer.from('n004hugeffffffff'));
        for (let i = 0; i < 16; i++) await send(Buffer.alloc(MiB, 0x5c));
        expect(await t.line('#1 -> n notification bulk')).toBe('#1 -> n notification bulk 167772160B (too large to preview)');
        expect(await t.line('#1 -> n notification after')).toBe('#1 -> n notification after 2B hi');
        expect(await t.line('#1 -> n notification huge')).toBe('#1 -> n notification huge 4294967295B (too large to preview)');
        await expect.poll(() => gotBytes, { timeout: 10_000 }).toBe(sentBytes);
        expect(got.digest('hex')).toBe(sent.digest('hex'));
        // Gathering a payload to preview it would take 160 MiB or more; skipping takes a few.
        expect(peakRss(t.child.pid!) - before).toBeLessThan(64);
      } finally {
        raw.destroy();
        for (const socket of sinkSockets) socket.destroy();
        sink.close();
      }
      expect(await t.stop()).toBe(0);
    },
  );

  test.skipIf(!existsSync('/proc/self/status'))(
    'a WebSocket message that never ends is refused and reported, from the client or the upstream',
    async ({ expect }) => {
      // Client side: a raw WebSocket client sends one binary message in 1 MiB fragments, never the last.
      const t = new Background(['trace', 'ws://127.0.0.1:0/t/', tcp]);
      const raw = netConnect(Number(new URL(await traceAddress(t)).port), '127.0.0.1');
      raw.on('error', () => {});
      let refused = false; // the trace ends the connection (after a close frame; what follows it is read and dropped)
      raw.on('end', () => (refused = true));
      raw.on('close', () => (refused = true));
      const before = peakRss(t.child.pid!);
      raw.write(
        'GET /t/ HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
      const [head] = (await once(raw, 'data')) as [Buffer];
      expect(head.toString()).toMatch(/^HTTP\/1\.1 101 /);
      const fragment = (first: boolean) => {
        const header = Buffer.alloc(14); // opcode binary (first) or continuation, fin=0; masked with key 0; 64-bit length
        header[0] = first ? 0x02 : 0x00;
        header[1] = 0x80 | 127;
        header.writeBigUInt64BE(BigInt(MiB), 2);
        return Buffer.concat([header, Buffer.alloc(MiB, 0x61)]);
      };
      for (let sent = 0; !refused && sent < 64; sent++) await write(raw, fragment(sent === 0));
      await expect.poll(() => refused, { timeout: 5000 }).toBe(true);
      expect(await t.line('#1 -- closed by the client')).toBe('#1 -- closed by the client: Max payload size exceeded');
      expect(peakRss(t.child.pid!) - before).toBeLessThan(48); // at most one 8 MiB message is buffered
      raw.destroy();

      // Upstream side: a WebSocket server that answers with a never-ending message.
      const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
      await once(wss, 'listening');
      wss.on('connection', (socket) => {
        let sentUp = 0;
        socket.on('error', () => {});
        const pump = () => {
          while (socket.readyState === socket.OPEN && socket.bufferedAmount < 4 * MiB && sentUp < 64) {
            socket.send(Buffer.alloc(MiB), { binary: true, fin: false }, () => {});
            sentUp++;
          }
          if (socket.readyState === socket.OPEN && sentUp < 64) setTimeout(pump, 5);
        };
        pump();
      });
      const u = new Background(['trace', 'tcp://127.0.0.1:0', `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`]);
      const client = netConnect(Number(new URL(await traceAddress(u)).port), '127.0.0.1');
      client.on('error', () => {});
      client.write('01');
      try {
        expect(await u.line('#1 -- closed by the upstream')).toBe('#1 -- closed by the upstream: Max payload size exceeded');
        await once(client, 'close'); // the client is let go
      } finally {
        client.destroy();
        wss.close();
      }
      expect(await t.stop()).toBe(0);
      expect(await u.stop()).toBe(0);
    },
  );

  test.skipIf(!existsSync('/proc/self/status'))(
    'what a client sends while the upstream connects is held up to 1 MiB, then the client is paused',
    async ({ expect }) => {
      const sockets: Socket[] = [];
      const silent = createServer((socket) => void sockets.push(socket)); // never answers the WebSocket upgrade
      await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
      const t = new Background(['trace', 'tcp://127.0.0.1:0', `ws://127.0.0.1:${(silent.address() as AddressInfo).port}/`]);
      const raw = netConnect(Number(new URL(await traceAddress(t)).port), '127.0.0.1');
      raw.on('error', () => {});
      try {
        await once(raw, 'connect');
        const before = peakRss(t.child.pid!);
        let sent = 0;
        const drained = () => Promise.race([once(raw, 'drain').then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 1000))]);
        while (sent < 64 && (raw.write(Buffer.alloc(MiB, 0x61)) || (await drained()))) sent++;
        expect(sent, 'MiB taken before the flow stopped').toBeLessThan(64);
        expect(peakRss(t.child.pid!) - before).toBeLessThan(32);
      } finally {
        raw.destroy();
        for (const socket of sockets) socket.destroy();
        silent.close();
      }
      expect(await t.stop()).toBe(0);
    },
  );

  test.skipIf(!existsSync('/proc/self/status'))("a WebSocket client that stops reading holds the upstream back, not the trace's memory", async ({ expect }) => {
    // The upstream writes as fast as the trace takes it; the client reads nothing.
    let written = 0;
    const fast = createServer((socket) => {
      socket.on('error', () => {});
      const chunk = Buffer.alloc(MiB, 0x61);
      const pump = () => {
        while (written < 256 && socket.write(chunk)) written++;
        if (written < 256) socket.once('drain', () => (written++, pump()));
      };
      socket.once('data', pump); // after the client's version
    });
    await new Promise<void>((r) => fast.listen(0, '127.0.0.1', () => r()));
    const t = new Background(['trace', 'ws://127.0.0.1:0/t/', `tcp://127.0.0.1:${(fast.address() as AddressInfo).port}`]);
    const client = new WebSocket(await traceAddress(t));
    client.on('error', () => {});
    try {
      await once(client, 'open');
      const before = peakRss(t.child.pid!);
      client.pause(); // reads nothing from now on
      client.send(Buffer.from('01'));
      await expect.poll(() => written, { timeout: 5000 }).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 1500)); // time for an unbounded trace to take it all
      expect(written, 'MiB the upstream got to write').toBeLessThan(128);
      expect(peakRss(t.child.pid!) - before).toBeLessThan(64);
    } finally {
      client.terminate();
      fast.close();
    }
    expect(await t.stop()).toBe(0);
  });

  test('op and notification names and remote error texts are printed escaped (trace, serve -v, call)', async ({ expect }) => {
    const s = new Background(['serve', '-v', 'tcp://127.0.0.1:0']);
    const [upstream] = (await s.first(1)) as [string];
    const t = new Background(['trace', 'tcp://127.0.0.1:0', upstream]);
    const address = await traceAddress(t);
    const op = await gotalk(['call', address, '\x1b]0;X\x07']); // would set the terminal title
    expect(op, op.stderr).toMatchObject({ code: 1, stderr: 'gotalk call: remote error: unknown operation "\\\\u001b]0;X\\\\u0007"\n' });
    const call = await gotalk(['call', address, 'fail', '"\\u001b]0;X\\u0007 \\u009b2J"']); // the error text is the payload
    expect(call, call.stderr).toMatchObject({ code: 1, stderr: 'gotalk call: remote error: \\x1b]0;X\\x07 \\x9b2J\n' });
    const notify = await gotalk(['notify', address, '\x1b[2J']); // would clear the screen
    expect(notify.code, notify.stderr).toBe(0);
    expect(await t.line('#1 -> r request')).toBe('#1 -> r request id=0x00000000 \\x1b]0;X\\x07 4B null');
    expect(await t.line('#3 -> n notification')).toBe('#3 -> n notification \\x1b[2J 4B null');
    await expect.poll(() => s.stderr).toContain('<- notification \\x1b[2J 4B');
    expect(s.stderr).toContain('<- request \\x1b]0;X\\x07 id=0x00000000 4B');
    for (const text of [t.lines.join('\n'), s.stderr, call.stderr]) expect(text).not.toMatch(/[\x1b\x07]/);
    expect(await t.stop()).toBe(0);
    expect(await s.stop()).toBe(0);
  });
});

describe('the installed command', () => {
  test('is a file in the repository that runs the built CLI (so installs link it before any build)', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { bin: { gotalk: string }; files: string[] };
    expect(pkg.bin.gotalk).toBe('./bin/gotalk.js');
    expect(pkg.files).toContain('bin');
    const bin = fileURLToPath(new URL(`../${pkg.bin.gotalk}`, import.meta.url));
    const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, [bin, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.on('close', (code) => resolve({ code, out }));
    });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Usage: gotalk <command>/);
  });
});

describe.concurrent('help', () => {
  test('gotalk --help lists every command, the address forms and the exit codes', async () => {
    const r = await gotalk(['--help']);
    expect(r.code, r.stderr).toBe(0);
    for (const word of ['call', 'stream', 'notify', 'listen', 'serve', 'trace', 'unix:/path', 'wss://', '4    timeout']) expect(r.stdout).toContain(word);
  });

  test.each(['call', 'stream', 'notify', 'listen', 'serve', 'trace'])('gotalk %s --help', async (command) => {
    const r = await gotalk([command, '--help']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: gotalk ${command} `));
    if (command === 'call') expect((await gotalk(['help', command])).stdout).toBe(r.stdout);
  });

  test('no command prints the help on stderr and exits 2; an unknown command exits 2', async () => {
    const none = await gotalk([]);
    expect(none, none.stderr).toMatchObject({ code: 2, stdout: '' });
    expect(none.stderr).toContain('Usage: gotalk <command>');
    const bogus = await gotalk(['frob']);
    expect(bogus, bogus.stderr).toMatchObject({ code: 2 });
    expect(bogus.stderr).toContain('unknown command "frob"');
  });
});

describe.concurrent('gotalk serve --handlers', () => {
  test('loads a TypeScript module that registers operations (and overrides a built-in)', async () => {
    const file = join(dir, 'my-handlers.ts');
    await writeFile(
      file,
      `import type { Handlers } from '@gotalk/node';
interface Shout { text: string }
export default async function register(handlers: Handlers): Promise<void> {
  handlers.handle('shout', (value) => ({ text: (value as Shout).text.toUpperCase() + '!' }));
  handlers.handle('greet', (value) => 'custom greeting for ' + (value as { name: string }).name);
  handlers.handle('busy', (_value, ctx) => ctx.retry(10, 'busy, try later'));
}
`,
    );
    const s = new Background(['serve', '--handlers', file, 'tcp://127.0.0.1:0']);
    const [address] = (await s.first(1)) as [string];
    const [shout, greet, echo, busy] = await Promise.all([
      gotalk(['call', address, 'shout', '{"text":"hi"}']),
      gotalk(['call', address, 'greet', '{"name":"Ada"}']),
      gotalk(['call', address, 'echo', 'true']),
      gotalk(['call', '--retries', '2', address, 'busy']),
    ]);
    expect(busy, busy.stderr).toMatchObject({ code: 5, stderr: 'gotalk call: gave up after 3 attempts: busy, try later\n' });
    expect(shout, shout.stderr).toMatchObject({ code: 0, stdout: '{"text":"HI!"}\n' });
    expect(greet, greet.stderr).toMatchObject({ code: 0, stdout: '"custom greeting for Ada"\n' });
    expect(echo, echo.stderr).toMatchObject({ code: 0, stdout: 'true\n' });
    expect(await s.stop()).toBe(0);
  });

  test('a module without a default function, or a missing one, is a usage error', async () => {
    const file = join(dir, 'no-default.mjs');
    await writeFile(file, 'export const x = 1;\n');
    const [bad, missing] = await Promise.all([
      gotalk(['serve', '--handlers', file, 'tcp://127.0.0.1:0']),
      gotalk(['serve', '--handlers', join(dir, 'absent.ts'), 'tcp://127.0.0.1:0']),
    ]);
    expect(bad.code, bad.stderr).toBe(2);
    expect(bad.stderr).toContain('must default-export a function (handlers) => void; it exports no default');
    expect(missing.code, missing.stderr).toBe(2);
    expect(missing.stderr).toContain('--handlers: no such file');
  });
});
