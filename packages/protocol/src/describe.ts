import type { DecodedFrame, RequestId } from './frame.ts';
import { isValidName, quoteName } from './names.ts';

/** A name as it stands, or quoted with its invalid bytes shown when it was not UTF-8. */
function nameText(name: string): string {
  return isValidName(name) ? name : quoteName(name);
}

/**
 * A request id for people: its 4 bytes as text when all are printable ASCII (gotalk.js sends
 * `0001`), otherwise as 8 hex digits (the Go peer sends a binary counter).
 */
export function formatId(id: RequestId): string {
  const bytes = [id >>> 24, (id >>> 16) & 0xff, (id >>> 8) & 0xff, id & 0xff];
  if (bytes.every((b) => b >= 0x21 && b <= 0x7e)) return String.fromCharCode(...bytes);
  return `0x${id.toString(16).padStart(8, '0')}`;
}

/** A one-line summary of a frame for logs and traces, e.g. `r 0x00000001 echo 25B`. */
export function describeFrame(frame: DecodedFrame): string {
  switch (frame.type) {
    case 'version':
      return `version ${frame.version}`;
    case 'oversize':
      return `${describeFrame(frame.frame).replace(/ 0B$/, '')} ${frame.size}B (over the limit, skipped)`;
    case 'refused':
      return `${describeFrame(frame.frame).replace(/ 0B$/, '')} ${frame.size}B (refused, skipped)`;
    case 'h':
      return `h load=${frame.load} time=${frame.time}`;
    case 'f':
      return `f code=${frame.code}`;
    case 'n':
      return `n ${nameText(frame.name)} ${frame.payload.length}B`;
    case 'r':
    case 's':
      return `${frame.type} ${formatId(frame.id)} ${nameText(frame.op)} ${frame.payload.length}B`;
    case 'e':
      return `e ${formatId(frame.id)} wait=${frame.wait}ms ${frame.payload.length}B`;
    default:
      return `${frame.type} ${formatId(frame.id)} ${frame.payload.length}B`;
  }
}
