// The one address syntax: parseAddress and formatAddress.
import { describe, expect, it } from 'vitest';
import { formatAddress, NodeError, parseAddress, type Address } from '@gotalk/node';

describe('parseAddress / formatAddress', () => {
  const table: [input: string, parsed: Address, formatted: string][] = [
    ['tcp://127.0.0.1:7000', { kind: 'tcp', host: '127.0.0.1', port: 7000 }, 'tcp://127.0.0.1:7000'],
    ['tcp://localhost:0', { kind: 'tcp', host: 'localhost', port: 0 }, 'tcp://localhost:0'],
    ['tcp://[::1]:7000', { kind: 'tcp', host: '::1', port: 7000 }, 'tcp://[::1]:7000'],
    ['tcp://[2001:db8::1]:65535', { kind: 'tcp', host: '2001:db8::1', port: 65535 }, 'tcp://[2001:db8::1]:65535'],
    ['tcp://example.com:80/', { kind: 'tcp', host: 'example.com', port: 80 }, 'tcp://example.com:80'],
    ['tls://example.com:443', { kind: 'tls', host: 'example.com', port: 443 }, 'tls://example.com:443'],
    ['unix:/tmp/x.sock', { kind: 'unix', path: '/tmp/x.sock' }, 'unix:/tmp/x.sock'],
    ['unix:///tmp/x.sock', { kind: 'unix', path: '/tmp/x.sock' }, 'unix:/tmp/x.sock'],
    ['unix:relative/x.sock', { kind: 'unix', path: 'relative/x.sock' }, 'unix:relative/x.sock'],
    ['ws://localhost:8080', { kind: 'ws', host: 'localhost', port: 8080, path: '/gotalk/' }, 'ws://localhost:8080/gotalk/'],
    ['ws://localhost', { kind: 'ws', host: 'localhost', port: 80, path: '/gotalk/' }, 'ws://localhost:80/gotalk/'],
    ['ws://127.0.0.1:9000/rpc/', { kind: 'ws', host: '127.0.0.1', port: 9000, path: '/rpc/' }, 'ws://127.0.0.1:9000/rpc/'],
    ['ws://[::1]:9000/a/b?token=x', { kind: 'ws', host: '::1', port: 9000, path: '/a/b?token=x' }, 'ws://[::1]:9000/a/b?token=x'],
    ['wss://example.com', { kind: 'wss', host: 'example.com', port: 443, path: '/gotalk/' }, 'wss://example.com:443/gotalk/'],
    ['wss://example.com:8443/gotalk/', { kind: 'wss', host: 'example.com', port: 8443, path: '/gotalk/' }, 'wss://example.com:8443/gotalk/'],
  ];

  it.each(table)('%s', (input, parsed, formatted) => {
    expect(parseAddress(input)).toEqual(parsed);
    expect(formatAddress(parsed)).toBe(formatted);
    // Formatting is a fixed point: the formatted form parses to the same address.
    expect(parseAddress(formatted)).toEqual(parsed);
  });

  const bad: [input: string, mention: RegExp][] = [
    ['foo', /foo/],
    ['', /address/],
    ['http://x:1', /http/],
    ['https://x:1', /https/],
    ['tcp://host', /no port/],
    ['tls://host', /no port/],
    ['tcp://host:1/path', /path/],
    ['tcp://host:99999', /host:99999/],
    ['tcp://:7000', /tcp:\/\/:7000/],
    ['unix:', /unix/],
  ];

  it.each(bad)('%j is a BAD_ADDRESS', (input, mention) => {
    let thrown: unknown;
    try {
      parseAddress(input);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(NodeError);
    expect(thrown).toMatchObject({ name: 'NodeError', code: 'BAD_ADDRESS' });
    expect((thrown as Error).message).toMatch(mention);
  });

  it('error messages list the accepted forms for an unknown scheme', () => {
    expect(() => parseAddress('http://x:1')).toThrow(/tcp:\/\/host:port.*unix:\/path.*ws:\/\/host:port\/path/);
  });
});
