// The discovery extension ($describe): descriptions given at registration, JSON Schemas derived
// from zod (Standard JSON Schema), schemas that cannot say, and a peer without the extension.
import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import {
  connectedPeers,
  defineContract,
  defineNotification,
  defineOperation,
  defineStreamOperation,
  DESCRIBE_OP,
  describeHandlers,
  Handlers,
  jsonSchemaOf,
  notification,
  operation,
  RemoteError,
  serveDescription,
  streamOperation,
  type ServiceDescription,
  type StandardSchemaV1,
} from '@gotalk/peer';
import { errorOf } from '@gotalk/test-kit';

const greet = defineOperation('greet', {
  input: z.object({ name: z.string().min(1) }),
  output: z.object({ greeting: z.string() }),
  description: 'says hello',
});
const count = defineStreamOperation('count', { input: z.number().int(), output: z.number() });
const chat = defineNotification('chat', z.object({ text: z.string() }), 'a line of chat');

/** A Standard Schema with no JSON Schema converter (as valibot's and arktype's plain schemas are). */
const bare: StandardSchemaV1<string> = {
  '~standard': { version: 1, vendor: 'handmade', validate: (v) => (typeof v === 'string' ? { value: v } : { issues: [{ message: 'not a string' }] }) },
};

describe('registering with descriptions', () => {
  test('entries() lists ops, stream ops and notifications with what they said, parents included, shadowed by name', () => {
    const parent = new Handlers().handle('shared', () => 1, 'from the parent').handle('both', () => 1, 'parent');
    const child = new Handlers(parent)
      .handle('both', () => 2, 'child')
      .handleStream('s', async function* () {}, { description: 'a stream' })
      .handleBytes('raw', (p) => p)
      .onNotification('note', () => {}, 'a note');
    child.fallback(() => new Uint8Array());
    expect(child.entries()).toEqual([
      { name: 'both', kind: 'single', description: 'child' },
      { name: 'note', kind: 'notification', description: 'a note' },
      { name: 'raw', kind: 'single' },
      { name: 's', kind: 'stream', description: 'a stream' },
      { name: 'shared', kind: 'single', description: 'from the parent' },
    ]);
    // Registering again without a description drops the old one; removing forgets it.
    child.handle('both', () => 3);
    expect(child.entries().find((e) => e.name === 'both')).toEqual({ name: 'both', kind: 'single' });
    child.remove('s');
    expect(child.entries().map((e) => e.name)).not.toContain('s');
  });

  test('typed registrations carry their schemas and the definition’s description; implement() may override it', () => {
    const h = new Handlers()
      .implement(greet, ({ name }) => ({ greeting: name }))
      .implement(count, (xs) => xs, 'counts')
      .onNotification(chat, () => {});
    const byName = Object.fromEntries(h.entries().map((e) => [e.name, e]));
    expect(byName['greet']).toMatchObject({ kind: 'single', description: 'says hello', input: greet.input, output: greet.output });
    expect(byName['count']).toMatchObject({ kind: 'stream', description: 'counts', input: count.input });
    expect(byName['chat']).toMatchObject({ kind: 'notification', description: 'a line of chat', input: chat.schema });
  });
});

describe('JSON Schema', () => {
  test('derived from zod through the Standard JSON Schema interface, without $schema', () => {
    expect(jsonSchemaOf(z.object({ name: z.string().min(1), age: z.number().int().optional() }))).toEqual({
      type: 'object',
      properties: { name: { type: 'string', minLength: 1 }, age: { type: 'integer', minimum: -9007199254740991, maximum: 9007199254740991 } },
      required: ['name'],
    });
  });

  test('a schema without a converter, or one that cannot be expressed, accepts anything and says why', () => {
    expect(jsonSchemaOf(bare)).toEqual({ description: 'a handmade schema that offers no JSON Schema' });
    const transformed = z.string().transform((s) => s.length);
    // The accepted side of a transform is expressible: a string.
    expect(jsonSchemaOf(transformed)).toEqual({ type: 'string' });
    const custom = z.custom<string>((v) => typeof v === 'string');
    expect(jsonSchemaOf(custom).description).toMatch(/^a zod schema that cannot be expressed as JSON Schema: /);
  });
});

describe('$describe', () => {
  test('a contract implemented describes its entries with the descriptions they were defined with', async () => {
    const api = defineContract({
      greet: operation({ input: z.string(), output: z.string(), description: 'says hello' }),
      count: streamOperation({ input: z.number(), output: z.number(), name: 'count-up', description: 'counts up' }),
      bump: notification(z.number(), undefined, 'bumps a counter'),
      plain: operation<string, string>(),
    });
    const [client, server] = connectedPeers();
    serveDescription(server.handlers);
    server.handlers.implement(api, { greet: (n) => n, count: (xs) => xs, bump: () => {}, plain: (s) => s });
    const d = (await client.request(DESCRIBE_OP)) as ServiceDescription;
    expect(d.operations.map((o) => [o.name, o.kind, o.description])).toEqual([
      ['count-up', 'stream', 'counts up'],
      ['greet', 'operation', 'says hello'],
      ['plain', 'operation', undefined],
    ]);
    expect(d.notifications.map((n) => [n.name, n.description])).toEqual([['bump', 'bumps a counter']]);
    client.destroy();
  });

  test('answers the whole description, with handlers registered after serveDescription, and not itself', async () => {
    const [client, server] = connectedPeers();
    serveDescription(server.handlers, { service: 'a test service', sends: [chat, { name: 'tick', description: 'every second' }] });
    server.handlers.implement(greet, ({ name }) => ({ greeting: name })).implement(count, (xs) => xs);
    server.handlers.handle('untyped', () => null, { description: 'JSON with a given schema', input: bare });
    server.handlers.onNotification(chat, () => {});
    const d = (await client.request(DESCRIBE_OP)) as ServiceDescription;
    expect(d.protocol).toBe('gotalk-describe/1');
    expect(d.service).toBe('a test service');
    expect(d.operations.map((o) => [o.name, o.kind])).toEqual([
      ['count', 'stream'],
      ['greet', 'operation'],
      ['untyped', 'operation'],
    ]);
    expect(d.operations[1]).toEqual({
      name: 'greet',
      kind: 'operation',
      description: 'says hello',
      input: { type: 'object', properties: { name: { type: 'string', minLength: 1 } }, required: ['name'] },
      output: { type: 'object', properties: { greeting: { type: 'string' } }, required: ['greeting'] },
    });
    expect(d.operations[2]).toEqual({
      name: 'untyped',
      kind: 'operation',
      description: 'JSON with a given schema',
      input: { description: 'a handmade schema that offers no JSON Schema' },
    });
    expect(d.notifications).toEqual([
      {
        name: 'chat',
        kind: 'notification',
        description: 'a line of chat',
        input: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
      },
    ]);
    expect(d.sends.map((n) => n.name)).toEqual(['chat', 'tick']);
    // Any payload, even one that is not JSON, asks for the description.
    expect(JSON.parse(new TextDecoder().decode(await client.requestBytes(DESCRIBE_OP, new Uint8Array([0xff]))))).toEqual(d);
    expect(describeHandlers(server.handlers, { service: 'a test service', sends: [chat, { name: 'tick', description: 'every second' }] })).toEqual(d);
    client.destroy();
  });

  test('a peer without the extension answers it as any unknown operation, as the reference does', async () => {
    const [client] = connectedPeers();
    const err = await errorOf(client.request(DESCRIBE_OP));
    expect(err).toBeInstanceOf(RemoteError);
    expect(err).toMatchObject({ code: 'REMOTE_ERROR', message: 'unknown operation "$describe"' });
    client.destroy();
  });
});
