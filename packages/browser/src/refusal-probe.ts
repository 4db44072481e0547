// Why a WebSocket upgrade failed, asked of the server after the fact. A page cannot read the HTTP
// status of a refused upgrade (the browser reports only a close with code 1006, as for a server
// that is down), so after such a failure the client GETs the endpoint's own URL over HTTP: a
// Gotalk server answers it with what the page's upgrade gets (403 and the refusal's code when it
// refuses the page's Origin or Host), readable from any origin.
import { BrowserError, type BrowserErrorCode } from './errors.ts';

/** A `fetch` as the probe uses it: the global one, or a stand-in. */
export type FetchLike = (
  url: string,
  init: { signal: AbortSignal; cache: 'no-store'; credentials: 'omit' },
) => Promise<{ status: number; json(): Promise<unknown> }>;

/** The refusals the server's answer may name: those that no retry can get past. */
const FINAL: readonly BrowserErrorCode[] = ['ORIGIN_NOT_ALLOWED', 'HOST_NOT_ALLOWED'];

/** A refusal no retry gets past: the client gives up with it (`final`, see `Dial` of `@gotalk/peer`). */
export class RefusedError extends BrowserError {
  readonly final = true;
}

/** The endpoint's HTTP address: `ws:` → `http:`, `wss:` → `https:`, the rest as it is. */
function httpUrl(wsUrl: string): string {
  return wsUrl.replace(/^ws(s?):/i, 'http$1:');
}

/**
 * Asks the server at `wsUrl` whether it refuses this page's upgrades: the error to give up
 * with (`ORIGIN_NOT_ALLOWED`, `HOST_NOT_ALLOWED`, the server's message), or null when it does
 * not say so (it allows them, it is another server, it is down, or the probe failed).
 */
export async function probeRefusal(wsUrl: string, signal: AbortSignal, fetchFn: FetchLike): Promise<RefusedError | null> {
  try {
    const res = await fetchFn(httpUrl(wsUrl), { signal, cache: 'no-store', credentials: 'omit' });
    if (res.status !== 403) return null;
    const body = (await res.json()) as { gotalk?: unknown; code?: unknown; message?: unknown } | null;
    if (body?.gotalk !== 'refused' || !FINAL.includes(body.code as BrowserErrorCode)) return null;
    const said = typeof body.message === 'string' ? body.message.slice(0, 1000) : 'refused';
    return new RefusedError(body.code as BrowserErrorCode, `the server at ${wsUrl} refuses this page: ${said}`);
  } catch {
    return null;
  }
}
