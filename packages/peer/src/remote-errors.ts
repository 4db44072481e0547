import { RemoteError } from './errors.ts';
import { text, utf8 } from './payload.ts';

/** The start of a structured error result's payload: `{"error":{` (see {@link errorPayload}). */
const PREFIX = '{"error":{';

/** Codes a structured error may carry: 1..64 letters, digits, `_`, `.` or `-`. */
const CODE = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * The payload of an error result for `error`. A {@link RemoteError} a handler threw with its own
 * code or data becomes the structured error extension, `{"error":{"code":…,"message":…,"data":…}}`:
 * JSON a text-only peer (the Go reference, gotalk.js) still shows as a readable message. Anything
 * else is its message as plain text, as the reference sends it.
 */
export function errorPayload(message: string, error: unknown): Uint8Array {
  if (!(error instanceof RemoteError) || (error.code === 'REMOTE_ERROR' && error.data === undefined) || !CODE.test(error.code)) return utf8(message);
  let json: string;
  try {
    json = JSON.stringify({ error: { code: error.code, message, ...(error.data === undefined ? {} : { data: error.data }) } });
  } catch {
    json = JSON.stringify({ error: { code: error.code, message } }); // data that is not JSON is left out
  }
  return utf8(json);
}

/**
 * The {@link RemoteError} for an error result's payload: a structured error's code, message and
 * data, or the whole payload as the message (a text error, or anything that is not exactly the
 * structured form).
 */
export function remoteError(payload: Uint8Array): RemoteError {
  const body = text(payload);
  if (body.startsWith(PREFIX)) {
    try {
      const parsed: unknown = JSON.parse(body);
      const e = (parsed as { error?: unknown }).error as { code?: unknown; message?: unknown; data?: unknown } | undefined;
      if (e && typeof e.message === 'string' && typeof e.code === 'string' && CODE.test(e.code) && Object.keys(parsed as object).length === 1) {
        return new RemoteError(e.message, { code: e.code, data: e.data });
      }
    } catch {
      // not JSON after all: a text error that starts like one
    }
  }
  return new RemoteError(body);
}
