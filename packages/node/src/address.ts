import { NodeError } from './errors.ts';

/** A parsed Gotalk address. */
export type Address =
  | { readonly kind: 'tcp' | 'tls'; readonly host: string; readonly port: number }
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'ws' | 'wss'; readonly host: string; readonly port: number; readonly path: string }
  /** A socket this process inherited as file descriptor `fd`: listening (to listen on) or connected (to connect over). */
  | { readonly kind: 'fd'; readonly fd: number };

function bad(message: string): NodeError {
  return new NodeError('BAD_ADDRESS', message);
}

const FORMS = 'tcp://host:port, tls://host:port, unix:/path/to.sock, ws://host:port/path, wss://host:port/path or fd:N';

/**
 * Parses the one address syntax used everywhere (API, CLI, docs):
 * `tcp://host:port`, `tls://host:port`, `unix:/path/to.sock` (also `unix://` + absolute path),
 * `ws://host:port/path`, `wss://host:port/path`, and `fd:N` for a socket inherited as file
 * descriptor N (systemd socket activation passes listening sockets from fd 3). IPv6 hosts go in
 * brackets (`tcp://[::1]:7000`). Port 0 asks the system for a free port when listening. A ws
 * path defaults to `/gotalk/`.
 */
export function parseAddress(address: string): Address {
  if (address.startsWith('fd:')) {
    const fd = /^fd:(\d{1,9})$/.exec(address);
    if (!fd) throw bad(`"${address}": an fd address is fd:N with N a file descriptor number`);
    return { kind: 'fd', fd: Number(fd[1]) };
  }
  const unix = /^unix:(?:\/\/)?(.+)$/.exec(address);
  if (unix) {
    const path = unix[1]!;
    return { kind: 'unix', path: address.startsWith('unix://') ? `/${path.replace(/^\/+/, '')}` : path };
  }
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw bad(`"${address}" is not an address; use ${FORMS}`);
  }
  const kind = url.protocol.slice(0, -1);
  if (kind !== 'tcp' && kind !== 'tls' && kind !== 'ws' && kind !== 'wss') {
    throw bad(`unknown scheme "${url.protocol}" in "${address}"; use ${FORMS}`);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw bad(`"${address}" has no host`);
  if (url.port === '' && (kind === 'tcp' || kind === 'tls')) throw bad(`"${address}" has no port`);
  const port = url.port === '' ? (kind === 'wss' ? 443 : 80) : Number(url.port);
  if (kind === 'ws' || kind === 'wss') {
    const path = url.pathname === '/' && !address.endsWith('/') ? '/gotalk/' : url.pathname;
    return { kind, host, port, path: path + url.search };
  }
  if (url.pathname !== '' && url.pathname !== '/') throw bad(`"${address}": a ${kind} address has no path`);
  return { kind, host, port };
}

/** `host:port` as it is written in URLs and addresses: an IPv6 host in brackets (`[::1]:7000`). */
export function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Formats an address back into the common syntax. */
export function formatAddress(a: Address): string {
  if (a.kind === 'unix') return `unix:${a.path}`;
  if (a.kind === 'fd') return `fd:${a.fd}`;
  return a.kind === 'ws' || a.kind === 'wss' ? `${a.kind}://${hostPort(a.host, a.port)}${a.path}` : `${a.kind}://${hostPort(a.host, a.port)}`;
}
