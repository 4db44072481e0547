// The server of one A/B sample: a Gotalk echo (echo.json, echo) from the @gotalk/node build at argv[2],
// on TCP, WebSocket or a Unix socket in the directory argv[4]; sends its address to the parent, exits with it.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [entry, transport, dir] = process.argv.slice(2) as [string, string, string];
const { listen } = (await import(pathToFileURL(entry).href)) as typeof import('@gotalk/node');
const address = transport === 'unix' ? `unix:${join(dir, 'ab.sock')}` : transport === 'ws' ? 'ws://127.0.0.1:0/gotalk/' : 'tcp://127.0.0.1:0';
const server = await listen([address], { ws: { bundle: null } });
server.handlers.handle('echo.json', (v) => v).handleBytes('echo', (p) => p);
process.send!({ address: server.addresses[0] });
process.on('disconnect', () => process.exit(0));
