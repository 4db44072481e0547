// `gotalk ops`, `describe` and `shell` through the REAL built binary, against an admin endpoint
// this test process opens on a Unix socket, TCP and WebSocket at once, and against a service that
// does not describe itself (answering $describe as an unknown operation, as the Go reference
// does). The shell runs both on a pseudo-terminal and with piped stdin.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineOperation, listen, openAdmin, type AdminEndpoint, type Server } from '@gotalk/node';
import { Cleanup, deferred, waitFor } from '@gotalk/test-kit';
import { tempDir } from '@gotalk/test-kit/node';
import { PTY, runGotalk, Terminal } from './terminal.ts';

const cleanup = new Cleanup();
let admin: AdminEndpoint<{ rateLimit: number }>;
let plainServer: Server;
let dir: string;
/** The admin endpoint's addresses by transport. */
const at: Record<'unix' | 'tcp' | 'ws', string> = { unix: '', tcp: '', ws: '' };
let slowCancelled = deferred<void>();

const greet = defineOperation('greet', {
  input: z.object({ name: z.string().min(1), times: z.number().int().min(1).max(3).optional() }),
  output: z.object({ greeting: z.string() }),
  description: 'says hello',
});

beforeAll(async () => {
  dir = await tempDir(cleanup);
  admin = await openAdmin({
    address: [`unix:${join(dir, 'admin.sock')}`, 'tcp://127.0.0.1:0', 'ws://127.0.0.1:0/gotalk/'],
    service: 'the discovery test',
    config: { schema: z.object({ rateLimit: z.number().int().min(1) }), value: { rateLimit: 10 } },
    log: { level: 'silent' },
  });
  cleanup.add(() => admin.close());
  const [unix, tcp, ws] = admin.server.addresses as [string, string, string];
  Object.assign(at, { unix, tcp, ws });
  admin.handlers.implement(greet, ({ name }) => ({ greeting: `hello ${name}` }));
  admin.handlers.handleStream(
    'count',
    async function* (parts) {
      let n = 0;
      for await (const _ of parts) yield new TextEncoder().encode(String(++n));
    },
    'answers each part with its number',
  );
  admin.handlers.handle(
    'slow',
    (_v, ctx) =>
      new Promise((_resolve, reject) =>
        ctx.signal.addEventListener('abort', () => {
          slowCancelled.resolve();
          reject(new Error('cancelled'));
        }),
      ),
    'never answers',
  );
  admin.handlers.onNotification('poke', (v, ctx) => void ctx.peer.notify('poked', v), 'answered with a "poked" notification');
  // A service without the extension: $describe is an unknown operation, as the Go reference answers it.
  plainServer = await listen('tcp://127.0.0.1:0');
  plainServer.handlers.handle('add', (v) => (v as number[]).reduce((a, b) => a + b, 0));
  cleanup.add(() => plainServer.close());
});

afterAll(() => cleanup.run());

const transports = ['unix', 'tcp', 'ws'] as const;

describe.each(transports)('over %s', (transport) => {
  it('gotalk ops lists the operations, streams marked, and the notifications both ways', async () => {
    const r = await runGotalk(['ops', at[transport]]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('the discovery test\n');
    expect(r.stdout).toMatch(/^operations$/m);
    expect(r.stdout).toMatch(/^ {2}count +\(stream\) answers each part with its number$/m);
    expect(r.stdout).toMatch(/^ {2}greet +says hello$/m);
    expect(r.stdout).toMatch(/^ {2}set-config +changes the configuration/m);
    expect(r.stdout).toMatch(/^notifications it handles\n {2}poke +answered with a "poked" notification$/m);
    expect(r.stdout).toMatch(/^notifications it sends\n {2}config-changed .*\n {2}log /m);
    const json = await runGotalk(['ops', '--json', at[transport]]);
    expect(JSON.parse(json.stdout)).toMatchObject({ protocol: 'gotalk-describe/1', service: 'the discovery test' });
  });

  it('gotalk describe shows the schemas and an example input that the operation accepts', async () => {
    const r = await runGotalk(['describe', at[transport], 'greet']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^greet \(operation\)\n {2}says hello\n\ninput:\n\{\n {2}"type": "object",/);
    expect(r.stdout).toContain(`example:\n  gotalk call ${at[transport]} greet '{"name":"text"}'\n  in gotalk shell: greet {"name":"text"}\n`);
    const json = JSON.parse((await runGotalk(['describe', '--json', at[transport], 'greet'])).stdout) as { example: unknown };
    // The example is accepted as it is.
    const call = await runGotalk(['call', at[transport], 'greet', JSON.stringify(json.example)]);
    expect(call).toMatchObject({ code: 0, stdout: '{"greeting":"hello text"}\n' });
    const none = await runGotalk(['describe', at[transport], 'nope']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^gotalk describe: the service has no operation or notification "nope"; its operations: config, count, /);
  });

  it('gotalk shell with piped stdin prints one line per line read (blank lines skipped)', async () => {
    const input = [
      'greet {"name":"Ada"}',
      'greet Ada',
      '',
      'config',
      'set-config {"rateLimit":0}',
      '.stream count a b c',
      '.notify poke 7',
      '.describe greet',
      'nope',
      '.bogus',
    ].join('\n');
    const r = await runGotalk(['shell', at[transport]], { input });
    const lines = r.stdout.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toEqual([
      '{"greeting":"hello Ada"}',
      'error: remote error: invalid input: Invalid input: expected object, received string',
      // (the blank line is skipped)
      '{"rateLimit":10}',
      'error: remote error (INVALID_CONFIG): invalid configuration: rateLimit: Too small: expected number to be >=1',
      '[1,2,3]',
      '',
      expect.stringMatching(/^\{"name":"greet","kind":"operation","description":"says hello","input":\{.*\},"example":\{"name":"text"\}\}$/),
      'error: remote error: unknown operation "nope"',
      'error: unknown command .bogus; .help lists them',
    ]);
    // The notification the service sent back went to stderr, out of the way of the answers.
    expect(r.stderr).toBe('notification poked 7\n');
    expect(r.code).toBe(1); // some lines failed
  });

  it.skipIf(PTY === null)('gotalk shell on a terminal: a prompt, Tab completion, a pretty result', async () => {
    const t = new Terminal(['shell', '--history', '', at[transport]]);
    cleanup.add(() => t.stop());
    let at_ = await t.waitFor('gotalk> ');
    expect(t.text).toContain(`connected to ${at[transport]}: 9 operations; Tab completes`);
    t.type('gre');
    await t.waitFor('gre', at_);
    t.type('\t');
    at_ = await t.waitFor('greet ', at_);
    t.type('{"name":"Tab"}\r');
    at_ = await t.waitFor('{\n  "greeting": "hello Tab"\n}\ngotalk> ', at_);
    t.type('.exit\r');
    expect(await t.exited).toBe(0);
  });
});

describe.skipIf(PTY === null)('gotalk shell on a terminal', () => {
  it('shows notifications and requests from the service as they come, keeps history, and Ctrl-C abandons a request', async () => {
    const history = join(dir, 'history');
    const t = new Terminal(['shell', '--history', history, at.unix]);
    cleanup.add(() => t.stop());
    let from = await t.waitFor('gotalk> ');
    await waitFor(() => admin.server.peers.size === 1, 'the shell connected');
    const [peer] = admin.server.peers;
    peer!.notify('news', { text: 'from the service' });
    from = await t.waitFor('notification news {"text":"from the service"}\ngotalk> ', from);
    await expect(peer!.request('question', 'are you there?')).rejects.toThrow('gotalk shell does not serve requests');
    from = await t.waitFor('request question "are you there?" (answered: error)\ngotalk> ', from);
    t.type('health\r');
    from = await t.waitFor('"status": "ok"', from);
    from = await t.waitFor('gotalk> ', from);
    // Up: the last line again.
    t.type('\x1b[A');
    from = await t.waitFor('health', from);
    t.type('\r');
    from = await t.waitFor('"status": "ok"', from);
    from = await t.waitFor('gotalk> ', from);
    slowCancelled = deferred<void>();
    t.type('slow\r');
    from = await t.waitFor('slow', from);
    await new Promise((resolve) => setTimeout(resolve, 200)); // the request is on its way
    t.type('\x03');
    from = await t.waitFor(/error: .*aborted/, from);
    await slowCancelled.promise; // the service's handler was told ($cancel)
    from = await t.waitFor('gotalk> ', from);
    t.type('.help\r');
    await t.waitFor('.stream <op> [parts]', from);
    t.type('\x04'); // Ctrl-D
    expect(await t.exited).toBe(0);
    expect((await readFile(history, 'utf8')).split('\n')).toEqual(['health', 'slow', '.help', '']);
  });

  it('says when the service does not describe itself, and calls by name all the same', async () => {
    const t = new Terminal(['shell', '--history', '', plainServer.addresses[0]!]);
    cleanup.add(() => t.stop());
    let from = await t.waitFor('gotalk> ');
    expect(t.text).toContain('it does not describe itself, so op names are not completed');
    t.type('add [1,2,3]\r');
    from = await t.waitFor('6\ngotalk> ', from);
    t.type('.ops\r');
    await t.waitFor('error: the service does not describe itself', from);
    t.type('.exit\r');
    expect(await t.exited).toBe(0);
  });

  it('ends with exit 3 when the service goes away', async () => {
    const server = await listen('tcp://127.0.0.1:0');
    const t = new Terminal(['shell', '--history', '', server.addresses[0]!]);
    cleanup.add(() => t.stop());
    await t.waitFor('gotalk> ');
    for (const p of server.peers) p.destroy();
    await server.close();
    await t.waitFor('gotalk shell: the connection ended');
    expect(await t.exited).toBe(3);
  });
});

describe('a service that does not describe itself', () => {
  it('gotalk ops and describe say so, with exit 1', async () => {
    const address = plainServer.addresses[0]!;
    const ops = await runGotalk(['ops', address]);
    expect(ops).toMatchObject({ code: 1, stdout: '' });
    expect(ops.stderr).toBe(
      `gotalk ops: the service at ${address} does not describe itself (it answers $describe as an unknown operation); call its operations by name with gotalk call\n`,
    );
    const one = await runGotalk(['describe', address, 'add']);
    expect(one.code).toBe(1);
    expect(one.stderr).toMatch(/^gotalk describe: the service at .* does not describe itself/);
  });

  it('gotalk shell with piped stdin calls it by name', async () => {
    const r = await runGotalk(['shell', plainServer.addresses[0]!], { input: 'add [1,2]\n.ops\n' });
    expect(r.stdout).toBe('3\nerror: the service does not describe itself; call its operations by name\n');
    expect(r.code).toBe(1);
  });

  it('an answer to $describe that is no description is exit 5, not a crash', async () => {
    const liar = await listen('tcp://127.0.0.1:0');
    cleanup.add(() => liar.close());
    liar.handlers.handle('$describe', () => ({ operations: 'everything' }));
    const r = await runGotalk(['ops', liar.addresses[0]!]);
    expect(r).toMatchObject({ code: 5, stderr: "gotalk ops: the service's answer to $describe is not a description: operations is not a list\n" });
  });
});
