import { createReadStream } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { invalidName } from '@gotalk/node';
import { DEFAULT_MAX_PAYLOAD, MAX_NAME_BYTES } from '@gotalk/protocol';

/** Exit codes of the CLI; documented in docs/cli.md and in `gotalk --help`. */
export const Exit = {
  ok: 0,
  /** The other side answered with an error result. */
  remote: 1,
  /** Bad command line, payload, file or handlers module. */
  usage: 2,
  /** Could not connect or listen, or the connection was lost. */
  connection: 3,
  /** A timeout: connecting or waiting for the result took longer than `--timeout`. */
  timeout: 4,
  /** Retries exhausted, a protocol error, or any other failure. */
  other: 5,
  /** Interrupted by SIGINT while a request was pending. */
  interrupted: 130,
} as const;

/** A failure the CLI reports as one line on stderr and a given exit code, never with a stack. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** A command-line mistake: exit code 2, with a hint to the command's help. */
export class UsageError extends CliError {
  override name = 'UsageError';
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message, Exit.usage);
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** What {@link parse} returns for a command's options `O`. */
export type Parsed<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: typeof helpOption & O; allowPositionals: true; strict: true }>>;

/** Options every command accepts. */
export const helpOption = { help: { type: 'boolean', short: 'h' } } as const satisfies Options;

/** Options of every command that connects: timeout, retries, TLS and WebSocket knobs. */
export const connectOptions = {
  timeout: { type: 'string', short: 't' },
  retries: { type: 'string' },
  insecure: { type: 'boolean', short: 'k' },
  ca: { type: 'string' },
  origin: { type: 'string' },
} as const satisfies Options;

/**
 * Parses `argv` for `command` with node:util parseArgs (strict, positionals allowed) and turns
 * its errors into {@link UsageError}s that name the problem.
 */
export function parse<O extends Options>(command: string, argv: string[], options: O): Parsed<O> {
  try {
    return parseArgs({ args: argv, options: { ...helpOption, ...options }, allowPositionals: true, strict: true });
  } catch (err) {
    const message = (err as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new UsageError(message, command);
  }
}

/** Checks the number of positionals; `names` are shown in the message (e.g. `<address> <op>`). */
export function positionals(command: string, given: string[], min: number, max: number, names: string): string[] {
  if (given.length < min) throw new UsageError(`missing arguments: expected ${names}`, command);
  if (given.length > max)
    throw new UsageError(
      `too many arguments: ${given
        .slice(max)
        .map((a) => JSON.stringify(a))
        .join(' ')} (expected ${names})`,
      command,
    );
  return given;
}

/** Checks an op or notification name argument with the library's one check: 1..4095 UTF-8 bytes, as the wire allows. */
export function nameArg(command: string, value: string, what: 'op' | 'name'): string {
  if (invalidName(value, what === 'op' ? 'op' : 'notification')) {
    throw new UsageError(`<${what}> must be 1 to ${MAX_NAME_BYTES} bytes of UTF-8, got ${Buffer.byteLength(value)}`, command);
  }
  return value;
}

/** Parses a non-negative integer option (ms, counts); `undefined` when not given. */
export function intOption(command: string, name: string, value: string | undefined, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0 || n > max) {
    throw new UsageError(`--${name} must be a whole number from 0 to ${max}, got ${JSON.stringify(value)}`, command);
  }
  return n;
}

/** The largest payload the CLI sends: its peers use the default limits (8 MiB). */
export const MAX_PAYLOAD = DEFAULT_MAX_PAYLOAD;

/** The error for `what` (e.g. "the payload from stdin") over `max` bytes: exit 5, as the peer's own check. */
export function tooLarge(what: string, max: number): CliError {
  return new CliError(`${what} is over the limit of ${max} bytes`, Exit.other);
}

/**
 * Reads `input` to its end and returns its bytes joined, holding at most `max` bytes plus one
 * chunk: past `max` it stops reading (ending the stream) and throws {@link tooLarge} for `what`.
 */
export async function readAtMost(input: AsyncIterable<Buffer>, max: number, what: string): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of input) {
    size += chunk.length;
    if (size > max) throw tooLarge(what, max);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

/** Reads stdin as bytes, at most {@link MAX_PAYLOAD}: an endless stdin fails at once (exit 5). */
export function readStdin(): Promise<Uint8Array> {
  return readAtMost(process.stdin, MAX_PAYLOAD, 'the payload from stdin');
}

/**
 * Reads a file named on the command line, failing past `max` bytes as {@link readAtMost} does;
 * a missing or unreadable file is a usage error.
 */
export async function readArgFile(command: string, path: string, max = Infinity): Promise<Uint8Array> {
  try {
    return await readAtMost(createReadStream(path), max, `the payload in ${path}`);
  } catch (err) {
    if (err instanceof CliError) throw err;
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'is a directory' : e.message;
    throw new UsageError(`cannot read ${path}: ${why}`, command);
  }
}

/**
 * The payload argument as bytes: JSON text, `@file`, or `-` for stdin. Unless `raw`, the bytes
 * must be valid JSON (a usage error names the problem); with `raw` they are sent as they are.
 * No argument sends `null` (JSON) or an empty payload (raw). Stdin or a file over
 * {@link MAX_PAYLOAD} fails with exit 5 before connecting, read no further than that.
 */
export async function readPayload(command: string, arg: string | undefined, raw: boolean): Promise<Uint8Array> {
  if (arg === undefined) return raw ? new Uint8Array(0) : Buffer.from('null');
  let bytes: Uint8Array;
  let source: string;
  if (arg === '-') {
    bytes = await readStdin();
    source = 'the payload from stdin';
  } else if (arg.startsWith('@')) {
    bytes = await readArgFile(command, arg.slice(1), MAX_PAYLOAD);
    source = `the payload in ${arg.slice(1)}`;
  } else {
    bytes = Buffer.from(arg);
    source = 'the payload';
  }
  if (raw) return bytes;
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  if (text.trim() === '') throw new UsageError(`${source} is empty; give a JSON value (or use --raw)`, command);
  try {
    JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${source} is not valid JSON (${(err as Error).message}); quote strings as '"text"' or use --raw`, command);
  }
  return bytes;
}
