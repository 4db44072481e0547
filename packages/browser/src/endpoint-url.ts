import { BrowserError } from './errors.ts';

/** The mount path a Gotalk server uses by default (`listen('ws://host/gotalk/')`, Go's `/gotalk/`). */
export const DEFAULT_PATH = '/gotalk/';

/**
 * The URL this library was loaded from, captured while it loads: the `<script>` element's `src`
 * for the IIFE bundle (`document.currentScript` is only set during that first run), else the
 * module's own URL. The IIFE build defines `import.meta.url` as undefined.
 */
const loadedFrom: string | undefined =
  (typeof document !== 'undefined' ? (document.currentScript as HTMLScriptElement | null)?.src : undefined) || import.meta.url;

/**
 * The WebSocket address of the endpoint that served the script at `scriptUrl`:
 * `http(s)://host<path>gotalk.js` (or `gotalk.mjs`) becomes `ws(s)://host<path>`. Undefined when
 * `scriptUrl` is not such an address (a bundler's chunk, a `file:` URL…).
 */
export function endpointFromScript(scriptUrl: string): string | undefined {
  const url = parse(scriptUrl);
  const path = url && /^https?:$/.test(url.protocol) ? /^(.*\/)gotalk\.m?js$/.exec(url.pathname)?.[1] : undefined;
  return path ? `${url!.protocol === 'https:' ? 'wss' : 'ws'}://${url!.host}${path}` : undefined;
}

/**
 * Where to connect when no URL is given: the endpoint that served this script (see
 * {@link endpointFromScript}) when it has the page's origin (or there is no page), else
 * {@link DEFAULT_PATH} on the page's host, else undefined. A script from another origin (a CDN)
 * says nothing about where the Gotalk server is.
 */
export function defaultEndpoint(scriptUrl: string | undefined, pageUrl: string | undefined): string | undefined {
  const fromScript = scriptUrl && (!pageUrl || parse(scriptUrl)?.origin === parse(pageUrl)?.origin) && endpointFromScript(scriptUrl);
  return fromScript || (pageUrl ? wsUrl(DEFAULT_PATH, pageUrl) : undefined);
}

/**
 * The `ws:`/`wss:` URL for `url`, resolved against `base` (so `/gotalk/` works in a page);
 * `http:`/`https:` become `ws:`/`wss:`, and a `#fragment` is dropped (WebSocket URLs cannot
 * have one). Undefined when it is not such a URL.
 */
export function wsUrl(url: string, base?: string): string | undefined {
  const u = parse(url, base);
  if (!u) return undefined;
  u.hash = '';
  u.protocol = u.protocol.replace(/^http/, 'ws');
  return /^wss?:$/.test(u.protocol) ? u.href : undefined;
}

/** The address `connect()` uses for `url` (or for no URL). Throws BrowserError `BAD_URL`. */
export function resolveEndpoint(url: string | URL | undefined): string {
  const page = typeof location !== 'undefined' ? location.href : undefined;
  const resolved = url === undefined ? defaultEndpoint(loadedFrom, page) : wsUrl(String(url), page);
  if (!resolved) {
    throw new BrowserError(
      'BAD_URL',
      url === undefined ? 'no URL given and none can be derived: pass connect() a ws:// URL' : `not a WebSocket URL: ${String(url)}`,
    );
  }
  return resolved;
}

function parse(url: string, base?: string): URL | undefined {
  try {
    return new URL(url, base);
  } catch {
    return undefined;
  }
}
