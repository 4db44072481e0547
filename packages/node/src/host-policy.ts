// The names a WebSocket endpoint answers browsers under: the defence against DNS rebinding.
//
// A page on evil.example whose name is rebound to 127.0.0.1 reaches a local server with
// `Host: evil.example:PORT` and `Origin: http://evil.example:PORT`, which a "same host" origin
// check cannot tell from a page of the server's own. Its Host, though, is not a name the server
// is known by. Loopback names and IP literals are always the server's: a browser resolves
// `localhost` and `*.localhost` itself, and a page whose origin is an IP address was served from
// that address, so no DNS answer can put an attacker's page there.
import { isIP } from 'node:net';

/** The host names allowed besides loopback names and IP literals, or `*` for any. */
export type HostPolicy = '*' | readonly string[];

/** A host name as given: letters, digits, `.`, `-`, `_` (no port, no brackets, no scheme). */
const NAME = /^\.?[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?$/i;
/** A Host header: a name or a bracketed IPv6 address, then an optional port. */
const HOST_HEADER = /^(?:([a-z0-9._-]+)|\[([0-9a-f:.]+)\])(?::\d{1,5})?$/i;

/** Lower case, without one trailing dot (`Example.COM.` → `example.com`). */
function normalise(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/**
 * Checks an `allowedHosts` option: `'*'`, or a list of host names without port, where a name
 * with a leading dot (`.example.com`) also allows its subdomains. Throws a TypeError naming the
 * first bad entry.
 */
export function checkHostPolicy(policy: unknown): asserts policy is HostPolicy | undefined {
  if (policy === undefined || policy === '*') return;
  if (!Array.isArray(policy)) throw new TypeError(`ws.allowedHosts must be '*' or an array of host names, got ${typeof policy}`);
  for (const entry of policy as unknown[]) {
    if (typeof entry !== 'string' || !NAME.test(entry)) {
      throw new TypeError(`ws.allowedHosts: ${JSON.stringify(entry)} is not a host name (give names without a port, such as "example.com" or ".example.com")`);
    }
  }
}

/**
 * The host a `Host` header names, in lower case without a trailing dot (`Example.com:8080` →
 * `example.com`, `[::1]:80` → `[::1]`), or null when the header is missing or is not a host
 * name or bracketed IPv6 address with an optional port.
 */
export function hostOf(header: string | undefined): string | null {
  if (header === undefined) return null;
  const m = HOST_HEADER.exec(header);
  if (!m) return null;
  if (m[2] !== undefined) return isIP(m[2]) === 6 ? `[${m[2].toLowerCase()}]` : null;
  return normalise(m[1]!);
}

/** True for `localhost` and its subdomains, which browsers resolve to a loopback address themselves. */
function isLoopbackName(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost');
}

/** True for an IPv4 literal in dotted decimal or a bracketed IPv6 literal. */
function isIpLiteral(host: string): boolean {
  return host.startsWith('[') ? isIP(host.slice(1, -1)) === 6 : isIP(host) === 4;
}

/**
 * True when `host` (as {@link hostOf} returns it) is a name of this server under `policy`: a
 * loopback name, an IP literal, or a name the policy lists (a listed `.example.com` also allows
 * `example.com` and every name under it). `'*'` allows every host.
 */
export function hostAllowed(policy: HostPolicy | undefined, host: string): boolean {
  if (policy === '*' || isLoopbackName(host) || isIpLiteral(host)) return true;
  return (policy ?? []).some((entry) => {
    const name = normalise(entry);
    if (!name.startsWith('.')) return host === name;
    return host === name.slice(1) || host.endsWith(name);
  });
}
