// An HTTP service with an admin socket: an operator reads its request rates, changes its log
// level and its rate limit while it runs, and the next HTTP request obeys. See docs/admin-socket.md.
//
//   npx --yes pnpm@10 example:admin-socket [--port 8090] [--admin unix:/tmp/admin-socket-example.sock]
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openAdmin, RemoteError } from '@gotalk/node';
import { z } from 'zod';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8090' },
    admin: { type: 'string', default: `unix:${join(tmpdir(), 'admin-socket-example.sock')}` },
  },
});

const Config = z.object({
  rateLimit: z.number().int().min(1).max(100_000).describe('requests a second the service answers; more get 429'),
  greeting: z.string().min(1).max(200).describe('what GET / answers'),
});

// The admin endpoint: health, stats, config, set-config, log-level, follow-log, and discovery.
const admin = await openAdmin({
  address: values.admin,
  service: 'the admin socket example: an HTTP service',
  config: {
    schema: Config,
    value: { rateLimit: 100, greeting: 'hello' },
    onChange: (next) => {
      if (next.greeting.includes('<')) throw new RemoteError('the greeting is plain text', { code: 'NOT_PLAIN_TEXT' });
    },
  },
});

/** When the requests answered in the last second came: at most `rateLimit` of them. */
const answered: number[] = [];

/** Whether a request now is within the rate limit (a sliding one-second window); counts it if so. */
function allowed(now: number): boolean {
  while (answered.length > 0 && now - answered[0]! >= 1000) answered.shift();
  // Read at every request: a new limit holds from the next request on.
  if (answered.length >= admin.config.rateLimit) return false;
  answered.push(now);
  return true;
}

const http = createServer((req, res) => {
  const started = performance.now();
  const route = `${req.method} ${req.url === '/' ? '/' : '(other)'}`;
  const ms = () => Math.round((performance.now() - started) * 100) / 100;
  if (!allowed(Date.now())) {
    res.writeHead(429, { 'content-type': 'text/plain' }).end('too many requests\n');
    admin.requests.record(route, 'failed');
    admin.log.warn(`${route} 429`, { limit: admin.config.rateLimit, ms: ms() });
    return;
  }
  if (req.url !== '/') {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    admin.requests.record(route, 'failed');
    admin.log.info(`${route} 404`, { ms: ms() });
    return;
  }
  res.writeHead(200, { 'content-type': 'text/plain' }).end(`${admin.config.greeting}\n`);
  admin.requests.record(route, 'served');
  admin.log.debug(`${route} 200`, { ms: ms() });
});
await new Promise<void>((resolve) => http.listen(Number(values.port), '127.0.0.1', resolve));
const { port } = http.address() as { port: number };

console.log(`http://127.0.0.1:${port}/ answers; its admin socket is ${admin.address}
Try from another terminal:
  npx --yes pnpm@10 gotalk shell ${admin.address}`);

async function stop(): Promise<void> {
  http.close();
  await admin.close();
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
