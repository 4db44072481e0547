import type { DescribedEntry } from '@gotalk/node';
import { exampleOf } from './example-input.ts';
import { escapeText, safeLine, type Colors } from './output.ts';
import type { Description } from './service-description.ts';

const SECTIONS = [
  ['operations', 'operations'],
  ['notifications', 'notifications it handles'],
  ['sends', 'notifications it sends'],
] as const;

/** A description text from the other side made one safe line. */
const oneLine = (text: string | undefined): string => (text ? escapeText(text) : '');

/** `value` as indented JSON, each line safe for a terminal. */
export function safeJson(value: unknown): string {
  return (JSON.stringify(value, null, 2) ?? 'undefined').split('\n').map(safeLine).join('\n');
}

/** `gotalk ops`: the service's line, then each section's names and descriptions in columns (streams marked). */
export function formatOps(d: Description, c: Colors): string {
  const lines: string[] = [];
  if (d.service) lines.push(oneLine(d.service), '');
  const width = Math.min(28, Math.max(8, ...[...d.operations, ...d.notifications, ...d.sends].map((e) => escapeText(e.name).length)));
  for (const [key, title] of SECTIONS) {
    const list = d[key];
    if (list.length === 0) continue;
    if (lines.length > 0 && lines.at(-1) !== '') lines.push('');
    lines.push(c.bold(title));
    for (const e of list) {
      const name = escapeText(e.name);
      const stream = e.kind === 'stream' ? c.dim('(stream) ') : '';
      lines.push(`  ${name.padEnd(width)}  ${stream}${oneLine(e.description)}`.trimEnd());
    }
  }
  if (d.operations.length + d.notifications.length + d.sends.length === 0) lines.push('(the service describes no operations)');
  return `${lines.join('\n')}\n`;
}

/** The shell quoting of `text` for a POSIX shell: single quotes, a `'` inside written `'\''`. */
export function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** An example input of `entry` (from its input schema), or undefined when it has no schema. */
export function exampleInput(entry: DescribedEntry): unknown {
  return entry.input ? exampleOf(entry.input) : undefined;
}

/**
 * `gotalk describe`: the entry's kind and description, its input and output JSON Schemas
 * (indented), an example input, and the command that sends it to `address`.
 */
export function formatEntry(entry: DescribedEntry, section: 'operations' | 'notifications' | 'sends', address: string, c: Colors): string {
  const what =
    section === 'operations'
      ? entry.kind === 'stream'
        ? 'stream operation'
        : 'operation'
      : section === 'sends'
        ? 'notification the service sends'
        : 'notification';
  const lines = [`${c.bold(escapeText(entry.name))} (${what})`];
  if (entry.description) lines.push(`  ${oneLine(entry.description)}`);
  const schema = (label: string, s: object | undefined) => {
    lines.push('', `${label}:`);
    lines.push(s ? safeJson(s) : '  (no schema given)');
  };
  const part = entry.kind === 'stream' ? ' (each part)' : '';
  schema(section === 'operations' ? `input${part}` : 'payload', entry.input);
  if (section === 'operations') schema(`output${part}`, entry.output);
  if (section === 'sends') return `${lines.join('\n')}\n`;
  const example = exampleInput(entry);
  const json = JSON.stringify(example ?? null);
  lines.push('', 'example:');
  const name = shellQuote(entry.name);
  if (section === 'notifications') lines.push(`  gotalk notify ${address} ${name} ${shellQuote(json)}`);
  else if (entry.kind === 'stream') lines.push(`  echo ${shellQuote(json)} | gotalk stream ${address} ${name}`);
  else lines.push(`  gotalk call ${address} ${name} ${shellQuote(json)}`);
  lines.push(
    `  in gotalk shell: ${section === 'notifications' ? '.notify ' : entry.kind === 'stream' ? '.stream ' : ''}${escapeText(entry.name)} ${entry.kind === 'stream' ? `[${json}]` : json}`,
  );
  return `${lines.join('\n')}\n`;
}
