import { formatId, type DecodedFrame } from '@gotalk/protocol';
import { escapeText, preview, type Colors } from './output.ts';

/** Which way bytes went: from the client to the upstream, or back. */
export type Side = 'client' | 'upstream';

/** The fields of a frame as trace JSON: type, id, op/name, size and the other header fields. */
export function frameFields(frame: DecodedFrame, previewBytes: number): Record<string, unknown> {
  switch (frame.type) {
    case 'version':
      return { type: 'version', version: frame.version };
    case 'h':
      return { type: 'h', load: frame.load, time: frame.time };
    case 'f':
      return { type: 'f', code: frame.code };
    case 'oversize':
    case 'refused': // the trace's decoder admits every payload: never emitted there
      return { ...frameFields(frame.frame, 0), size: frame.size, oversize: true };
    default: {
      const out: Record<string, unknown> = { type: frame.type };
      if ('id' in frame) out['id'] = formatId(frame.id);
      if ('op' in frame) out['op'] = frame.op;
      if (frame.type === 'n') out['name'] = frame.name;
      if (frame.type === 'e') out['wait'] = frame.wait;
      out['size'] = frame.payload.length;
      if (previewBytes > 0) out['payload'] = preview(frame.payload, previewBytes);
      return out;
    }
  }
}

/** What each type letter means, for readable lines. */
const NAMES: Record<string, string> = {
  version: 'version',
  r: 'request',
  s: 'stream-request',
  p: 'stream-part',
  R: 'result',
  S: 'stream-result',
  E: 'error',
  e: 'retry',
  n: 'notification',
  h: 'heartbeat',
  f: 'protocol-error',
};

function colorFor(type: string, c: Colors): (s: string) => string {
  if (type === 'E' || type === 'f') return c.red;
  if (type === 'e') return c.yellow;
  if (type === 'R' || type === 'S') return c.green;
  if (type === 'r' || type === 's' || type === 'p') return c.cyan;
  if (type === 'n') return c.magenta;
  return c.dim;
}

/**
 * One readable trace line for a frame: connection, direction arrow, type letter and name,
 * id, op or name (control characters escaped), size, and the escaped payload preview, e.g.
 * `#1 -> r request id=0x00000000 echo 25B {"message":"Hi"}`. A frame over the decoder's limit
 * shows its declared size and `(too large to preview)`.
 */
export function frameLine(conn: number, from: Side, frame: DecodedFrame, previewBytes: number, c: Colors): string {
  const f = frameFields(frame, previewBytes);
  const type = String(f['type']);
  const arrow = from === 'client' ? c.blue('->') : c.green('<-');
  const parts = [c.dim(`#${conn}`), arrow, colorFor(type, c)(type === 'version' ? 'version' : `${type} ${NAMES[type] ?? ''}`)];
  if (f['version'] !== undefined) parts.push(String(f['version']));
  if (f['id'] !== undefined) parts.push(`id=${String(f['id'])}`);
  if (f['op'] !== undefined) parts.push(c.bold(escapeText(String(f['op']))));
  if (f['name'] !== undefined) parts.push(c.bold(escapeText(String(f['name']))));
  if (f['wait'] !== undefined) parts.push(`wait=${String(f['wait'])}ms`);
  if (f['load'] !== undefined) parts.push(`load=${String(f['load'])}`, `time=${new Date(Number(f['time']) * 1000).toISOString()}`);
  if (f['code'] !== undefined) parts.push(`code=${String(f['code'])}`);
  if (f['size'] !== undefined) parts.push(`${String(f['size'])}B`);
  if (f['oversize']) parts.push(c.dim('(too large to preview)'));
  if (typeof f['payload'] === 'string' && f['payload'] !== '') parts.push(c.dim(f['payload']));
  return parts.join(' ');
}

/** One trace JSON line for a frame. */
export function frameJson(conn: number, from: Side, frame: DecodedFrame, previewBytes: number): string {
  return JSON.stringify({ conn, from, ...frameFields(frame, previewBytes) });
}
