import { escapeText, formatJson, payloadLine, writeOut, type Colors } from './output.ts';

/** What `listen` and `notify --wait` print about something the other side sent. */
export interface Incoming {
  readonly kind: 'notification' | 'request';
  readonly name: string;
  readonly payload: Uint8Array;
  /** For requests: how it was answered. */
  readonly answer?: string;
}

/**
 * Prints one incoming message on stdout: a readable line (name and payload escaped), or with `json` one JSON object
 * (`{"type","name","size","payload"}`; `payload` is the JSON value, or `text` when not JSON).
 */
export function printIncoming(m: Incoming, json: boolean, c: Colors): Promise<void> {
  if (json) {
    const parsed = formatJson(m.payload, false);
    const body = parsed === null ? { text: Buffer.from(m.payload).toString('utf8') } : parsed === '' ? {} : { payload: JSON.parse(parsed) as unknown };
    const line = { type: m.kind, name: m.name, size: m.payload.length, ...body, ...(m.answer ? { answer: m.answer } : {}) };
    return writeOut(`${JSON.stringify(line)}\n`);
  }
  return writeOut(`${incomingLine(m, c)}\n`);
}

/** The readable line (without its newline) for something the other side sent: kind, name and payload, escaped. */
export function incomingLine(m: Incoming, c: Colors): string {
  const label = m.kind === 'notification' ? c.cyan('notification') : c.yellow('request');
  const answer = m.answer ? c.dim(` (answered: ${m.answer})`) : '';
  return `${label} ${c.bold(escapeText(m.name))} ${payloadLine(m.payload)}${answer}`;
}
