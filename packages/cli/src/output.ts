import { GotalkError, ProtocolError, RemoteError, type GotalkErrorCode, type NodeErrorCode } from '@gotalk/node';
import { CliError, Exit, UsageError } from './args.ts';

/** ANSI colouring that is a no-op when disabled. */
export interface Colors {
  readonly enabled: boolean;
  dim(s: string): string;
  bold(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  blue(s: string): string;
  magenta(s: string): string;
  cyan(s: string): string;
}

/** Colour on a terminal unless `NO_COLOR` is set; `FORCE_COLOR` (not `0`) forces it. */
export function useColor(stream: NodeJS.WriteStream): boolean {
  const force = process.env['FORCE_COLOR'];
  if (force !== undefined && force !== '') return force !== '0';
  if (process.env['NO_COLOR']) return false;
  return stream.isTTY === true;
}

/** Colour functions, real or no-op. */
export function colors(enabled: boolean): Colors {
  const wrap = (open: number, close: number) => (s: string) => (enabled ? `\x1b[${open}m${s}\x1b[${close}m` : s);
  return {
    enabled,
    dim: wrap(2, 22),
    bold: wrap(1, 22),
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    blue: wrap(34, 39),
    magenta: wrap(35, 39),
    cyan: wrap(36, 39),
  };
}

/** How {@link preview} and {@link escapeText} show one byte or character code. */
function escapeCode(c: number): string {
  if (c === 0x5c) return '\\\\';
  if (c === 0x0a) return '\\n';
  if (c === 0x0d) return '\\r';
  if (c === 0x09) return '\\t';
  if (c >= 0x20 && c < 0x7f) return String.fromCharCode(c);
  return c < 0x100 ? `\\x${c.toString(16).padStart(2, '0')}` : `\\u{${c.toString(16)}}`;
}

/**
 * A readable, escaped preview of `bytes`: printable ASCII as is, `\n` `\r` `\t` `\\` escaped,
 * any other byte as `\xNN`; cut after `max` bytes with `…`.
 */
export function preview(bytes: Uint8Array, max = 60): string {
  let out = '';
  const n = Math.min(bytes.length, max);
  for (let i = 0; i < n; i++) out += escapeCode(bytes[i]!);
  return bytes.length > max ? `${out}…` : out;
}

/** Characters a terminal acts on rather than shows: controls (C0, DEL, C1), line separators, bidi overrides. */
const CONTROL = '\\p{Cc}\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069';
const UNSAFE = new RegExp(`[${CONTROL}]`, 'u');
const TO_ESCAPE = new RegExp(`[\\\\${CONTROL}]`, 'gu');

/**
 * Text from the other side (an op or notification name, a remote error message) made safe for
 * a terminal: control characters and `\\` escaped as {@link preview} escapes bytes (`\x1b`,
 * `\n`, `\u{202e}`), everything else, non-ASCII included, as it is.
 */
export function escapeText(text: string): string {
  return text.replace(TO_ESCAPE, (ch) => escapeCode(ch.codePointAt(0)!));
}

/** A line of text from the other side (JSON the CLI printed, say) as it is, or escaped ({@link escapeText}) when it holds characters a terminal acts on. */
export function safeLine(text: string): string {
  return UNSAFE.test(text) ? escapeText(text) : text;
}

/**
 * Formats a JSON payload for stdout: pretty (2-space indent) when `pretty`, compact otherwise.
 * Returns null when the bytes are not JSON. An empty payload is the empty string.
 */
export function formatJson(bytes: Uint8Array, pretty: boolean): string | null {
  if (bytes.length === 0) return '';
  try {
    const value: unknown = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
    return JSON.stringify(value, null, pretty ? 2 : undefined);
  } catch {
    return null;
  }
}

/** A payload as one line of text: its JSON (compact) when it is JSON, else an escaped preview. */
export function payloadLine(bytes: Uint8Array, max = 200): string {
  const json = formatJson(bytes, false);
  // JSON text escapes C0 controls but not DEL, C1 or bidi overrides: those go the escaped way.
  if (json !== null && json.length <= max && !UNSAFE.test(json)) return json;
  return preview(bytes, max);
}

/** Writes to stdout and resolves once the bytes were handed over (so exiting loses nothing). */
export function writeOut(data: string | Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => process.stdout.write(data, (err) => (err ? reject(err) : resolve())));
}

/** True when `err`, or an error in its `cause` chain, is a {@link ProtocolError}. */
function causedByProtocolError(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof ProtocolError) return true;
  }
  return false;
}

/** The exit code for an error of the CLI, of `@gotalk/node` or of `@gotalk/peer` (see {@link Exit}). */
export function exitCodeFor(err: unknown): number {
  if (err instanceof CliError) return err.exitCode;
  // A connection lost to a protocol error (seen as a failed connect or a closed request) is a protocol error.
  if (causedByProtocolError(err)) return Exit.other;
  if (err instanceof RemoteError) return Exit.remote; // whatever code its handler gave it
  if (err instanceof GotalkError) {
    // One hierarchy: the codes of @gotalk/peer and of @gotalk/node.
    switch ((err as GotalkError<GotalkErrorCode | NodeErrorCode>).code) {
      case 'BAD_ADDRESS':
      case 'INVALID_NAME':
        return Exit.usage;
      case 'CONNECT_TIMEOUT':
      case 'TIMEOUT':
        return Exit.timeout;
      case 'REMOTE_ERROR':
        return Exit.remote;
      case 'ABORTED':
        return Exit.interrupted;
      case 'CLOSED':
      case 'CONNECT_FAILED':
      case 'ADDRESS_IN_USE':
      case 'CONNECTION_LIMIT':
      case 'ADDRESS_LIMIT':
      case 'HOST_NOT_ALLOWED':
      case 'ORIGIN_NOT_ALLOWED':
        return Exit.connection;
      default:
        return Exit.other;
    }
  }
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL' || code === 'ENOENT' || code === 'ECONNREFUSED') return Exit.connection;
  return Exit.other;
}

/**
 * The message for an error: remote errors say so; nothing ever prints a stack. Error texts
 * other than the CLI's own may come from the other side, so their control characters are
 * escaped ({@link escapeText}).
 */
export function errorMessage(err: unknown): string {
  if (err instanceof CliError) return err.message; // the CLI's own words (usage errors included)
  if (err instanceof RemoteError) {
    const code = err.code === 'REMOTE_ERROR' ? '' : ` (${escapeText(err.code)})`;
    return `remote error${code}: ${escapeText(err.message)}`;
  }
  if (err instanceof GotalkError && err.code === 'TIMEOUT') return `timed out: ${escapeText(err.message)}`;
  if (err instanceof Error) return escapeText(err.message || err.name);
  return escapeText(String(err));
}

/**
 * Reports `err` on stderr as `gotalk <command>: message` (plus a help hint for usage errors)
 * and returns its exit code. Set `GOTALK_DEBUG=1` to also print stacks of unexpected errors.
 */
export function report(command: string, err: unknown): number {
  const code = exitCodeFor(err);
  const prefix = command ? `gotalk ${command}` : 'gotalk';
  let text = `${prefix}: ${errorMessage(err)}\n`;
  if (err instanceof UsageError) {
    const cmd = err.command ?? command;
    text += `Run 'gotalk ${cmd ? `${cmd} ` : ''}--help' for usage.\n`;
  } else if (process.env['GOTALK_DEBUG'] && err instanceof Error && err.stack) text += `${err.stack}\n`;
  process.stderr.write(text);
  return code;
}
