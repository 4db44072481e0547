import { invalidName } from '@gotalk/node';
import { MAX_NAME_BYTES } from '@gotalk/protocol';

/** One line of `gotalk shell`, parsed. */
export type ShellCommand =
  | { readonly kind: 'empty' }
  | { readonly kind: 'call'; readonly op: string; readonly payload: Uint8Array }
  | { readonly kind: 'notify'; readonly name: string; readonly payload: Uint8Array }
  | { readonly kind: 'stream'; readonly op: string; readonly parts: Uint8Array[] }
  | { readonly kind: 'describe'; readonly name: string }
  | { readonly kind: 'help' }
  | { readonly kind: 'ops' }
  | { readonly kind: 'exit' };

/** The dot commands, with their one-line help. */
export const DOT_COMMANDS = [
  ['.help', 'this help'],
  ['.ops', 'list the operations the service describes'],
  ['.describe <op>', 'an operation’s schemas and an example input'],
  ['.notify <name> [input]', 'send a notification'],
  ['.stream <op> [parts]', 'a stream request: a JSON array is one part an element, else one part a word'],
  ['.exit', 'leave (or Ctrl-D)'],
] as const;

/** A line that is not a command: its text says what is wrong. */
export class ShellLineError extends Error {
  override name = 'ShellLineError';
}

const encoder = new TextEncoder();

/**
 * An input as a JSON payload: nothing is `null`; JSON text as it is; anything else (plain
 * words) the JSON string of the text, so `echo hello world` sends `"hello world"`.
 */
export function inputPayload(text: string): Uint8Array {
  const t = text.trim();
  if (t === '') return encoder.encode('null');
  try {
    JSON.parse(t);
    return encoder.encode(t);
  } catch {
    return encoder.encode(JSON.stringify(t));
  }
}

/** The parts of `.stream`: a JSON array's elements, else each word as {@link inputPayload} makes it. */
function streamParts(text: string): Uint8Array[] {
  const t = text.trim();
  if (t.startsWith('[')) {
    let value: unknown;
    try {
      value = JSON.parse(t);
    } catch {
      value = undefined;
    }
    if (Array.isArray(value)) return value.map((v) => encoder.encode(JSON.stringify(v) ?? 'null'));
  }
  return t === '' ? [] : t.split(/\s+/).map(inputPayload);
}

function name(word: string | undefined, what: 'op' | 'notification', usage: string): string {
  if (word === undefined || word === '') throw new ShellLineError(`usage: ${usage}`);
  if (invalidName(word, what)) throw new ShellLineError(`a name is 1 to ${MAX_NAME_BYTES} bytes of UTF-8`);
  return word;
}

/** Splits off the first word of `text` (after leading blanks) and the rest. */
function firstWord(text: string): [string, string] {
  const m = /^\s*(\S+)\s?(.*)$/s.exec(text);
  return m ? [m[1]!, m[2]!] : ['', ''];
}

/** Parses one line: `<op> [input]` or a dot command; throws {@link ShellLineError} for a bad one. */
export function parseLine(line: string): ShellCommand {
  const [word, rest] = firstWord(line);
  if (word === '') return { kind: 'empty' };
  if (!word.startsWith('.')) return { kind: 'call', op: name(word, 'op', '<op> [input]'), payload: inputPayload(rest) };
  switch (word) {
    case '.help':
      return { kind: 'help' };
    case '.ops':
      return { kind: 'ops' };
    case '.exit':
    case '.quit':
      return { kind: 'exit' };
    case '.describe':
      return { kind: 'describe', name: name(firstWord(rest)[0], 'op', '.describe <op>') };
    case '.notify': {
      const [n, input] = firstWord(rest);
      return { kind: 'notify', name: name(n, 'notification', '.notify <name> [input]'), payload: inputPayload(input) };
    }
    case '.stream': {
      const [op, input] = firstWord(rest);
      return { kind: 'stream', op: name(op, 'op', '.stream <op> [parts]'), parts: streamParts(input) };
    }
    default:
      throw new ShellLineError(`unknown command ${word}; .help lists them`);
  }
}

/** Tab completion: dot commands, and after them or at the start of a line the names that fit. */
export function complete(line: string, names: { ops: readonly string[]; streams: readonly string[]; notifications: readonly string[] }): [string[], string] {
  const words = line.split(/\s+/);
  const last = words.at(-1) ?? '';
  // A name completes with the space that follows it.
  const pick = (list: readonly string[]) => list.filter((n) => n.startsWith(last)).map((n) => `${n} `);
  if (words.length === 1) {
    if (last.startsWith('.')) return [pick(DOT_COMMANDS.map(([c]) => c.split(' ')[0]!)), last];
    return [pick(names.ops), last];
  }
  if (words.length === 2) {
    if (words[0] === '.notify') return [pick(names.notifications), last];
    if (words[0] === '.stream') return [pick(names.streams), last];
    if (words[0] === '.describe') return [pick([...names.ops, ...names.notifications]), last];
  }
  return [[], last];
}
