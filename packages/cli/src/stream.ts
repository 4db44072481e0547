import { CliError, connectOptions, Exit, MAX_PAYLOAD, nameArg, parse, positionals } from './args.ts';
import { explainTimeout, openClient } from './client.ts';
import { writeOut } from './output.ts';

/** `gotalk stream --help`. */
export const help = `Usage: gotalk stream [options] <address> <op>

Sends stdin as a stream request and prints the result parts as they arrive.

By default each line of stdin is one part: its bytes as they are, without the \\n (or \\r\\n)
that ends it. Empty lines are skipped, since an empty part ends a stream; a line over 8 MiB
(the payload limit) fails with exit 5. Each result part is printed followed by a newline.
With --chunks, stdin is sent in the chunks it is read in and result parts are written
as they are. On a terminal, a progress line on stderr counts parts and bytes.

Options:
  --chunks           raw chunks instead of lines, both ways
  -t, --timeout <ms> give up after this long, connecting included (default: no timeout)
  --retries <n>      how many retry results to accept before giving up (default 3)
  -k, --insecure     tls/wss: do not verify the server certificate
  --ca <file>        tls/wss: trust this CA certificate (PEM)
  --origin <origin>  ws/wss: the Origin header
  -h, --help         show this help

Exit codes: as for gotalk call (0 ok, 1 error result, 2 usage, 3 connection, 4 timeout,
5 other).

Examples:
  printf 'one\\ntwo\\n' | gotalk stream tcp://localhost:1234 echo-stream
  gotalk stream --chunks unix:/run/app.sock upload < big.bin > out.bin
`;

/** Counts parts and bytes both ways and shows them on stderr (a terminal) once a stream runs long. */
class Progress {
  private sentParts = 0;
  private sentBytes = 0;
  private gotParts = 0;
  private gotBytes = 0;
  private readonly started = Date.now();
  private shown = false;
  private last = 0;

  constructor(private readonly enabled: boolean) {}

  sent(bytes: number): void {
    this.sentParts++;
    this.sentBytes += bytes;
    this.tick();
  }

  received(bytes: number): void {
    this.gotParts++;
    this.gotBytes += bytes;
    this.tick();
  }

  /** Erases the line before something else is written to the terminal. */
  clear(): void {
    if (this.shown) process.stderr.write('\r\x1b[K');
    this.shown = false;
  }

  private tick(): void {
    const now = Date.now();
    if (!this.enabled || now - this.started < 1000 || now - this.last < 200) return;
    this.last = now;
    const secs = ((now - this.started) / 1000).toFixed(1);
    process.stderr.write(`\r\x1b[K↑ ${this.sentParts} parts ${this.sentBytes} B  ↓ ${this.gotParts} parts ${this.gotBytes} B  ${secs}s`);
    this.shown = true;
  }
}

/**
 * Splits `input` into lines without decoding them: each line is yielded as a fresh buffer
 * without its `\n` and a `\r` just before it; a last line without `\n` is yielded as it is.
 * A line over `max` bytes throws a one-line CliError (exit 5) as soon as it is seen, so at most
 * `max` bytes plus one chunk are held; `input` is read only as lines are taken (backpressure).
 */
export async function* splitLines(input: AsyncIterable<Buffer>, max: number): AsyncGenerator<Buffer, void, undefined> {
  let held: Buffer[] = [];
  let heldBytes = 0;
  let lineNo = 1;
  const tooLong = () =>
    new CliError(`line ${lineNo} of stdin is over the limit of ${max} bytes for one part; use --chunks for data that is not lines`, Exit.other);
  for await (const chunk of input) {
    let start = 0;
    for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      held.push(chunk.subarray(start, nl));
      const line = Buffer.concat(held, heldBytes + nl - start);
      held = [];
      heldBytes = 0;
      start = nl + 1;
      const part = line.at(-1) === 0x0d ? line.subarray(0, -1) : line;
      if (part.length > max) throw tooLong();
      lineNo++;
      yield part;
    }
    if (start < chunk.length) {
      held.push(chunk.subarray(start));
      heldBytes += chunk.length - start;
      if (heldBytes > max + 1) throw tooLong(); // + 1: a \r that a \n would drop
    }
  }
  if (heldBytes > max) throw tooLong();
  if (heldBytes > 0) yield Buffer.concat(held, heldBytes);
}

async function* stdinLines(progress: Progress): AsyncIterable<Uint8Array> {
  for await (const part of splitLines(process.stdin, MAX_PAYLOAD)) {
    if (part.length === 0) continue;
    progress.sent(part.length);
    yield part;
  }
}

async function* stdinChunks(progress: Progress): AsyncIterable<Uint8Array> {
  for await (const chunk of process.stdin) {
    const part = chunk as Buffer;
    progress.sent(part.length);
    yield part;
  }
}

/** Runs `gotalk stream`; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals: args } = parse('stream', argv, { ...connectOptions, chunks: { type: 'boolean' } });
  if (values.help) {
    await writeOut(help);
    return Exit.ok;
  }
  const [address, op] = positionals('stream', args, 2, 2, '<address> <op>') as [string, string];
  nameArg('stream', op, 'op');
  const chunks = values.chunks === true;
  const client = await openClient('stream', address, values, 0);
  const progress = new Progress(process.stderr.isTTY === true);
  try {
    const input = chunks ? stdinChunks(progress) : stdinLines(progress);
    const result = client.peer.stream(op, input, {
      timeout: client.remaining(),
      ...(client.retries !== undefined ? { retries: client.retries } : {}),
    });
    try {
      for await (const part of result) {
        progress.clear();
        await writeOut(part);
        if (!chunks) await writeOut('\n');
        progress.received(part.length);
      }
    } catch (err) {
      explainTimeout(err, client, op);
    }
    return Exit.ok;
  } finally {
    progress.clear();
    process.stdin.destroy();
    await client.peer.close();
  }
}
