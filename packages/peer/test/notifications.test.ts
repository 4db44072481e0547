import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { ClosedError, connectedPeers, defineNotification, Handlers, type ActivityEvent, type NotificationContext } from '@gotalk/peer';
import { bytes, deferred, errorOf, str, thrownBy, waitFor } from '@gotalk/test-kit';
import { framesOf, recordActivity, tappedPeers } from './helpers.ts';

const chat = defineNotification('chat', z.object({ text: z.string() }));

const errorsOf = (events: ActivityEvent[]) => events.flatMap((e) => (e.type === 'error' ? [e.error] : []));

describe('notifications', () => {
  test('JSON notifications arrive in order, with the context', async () => {
    const { a, b, sent } = tappedPeers();
    const got: unknown[] = [];
    const contexts: NotificationContext[] = [];
    b.handlers.onNotification('news', (v, ctx) => {
      got.push(v);
      contexts.push(ctx);
    });
    a.notify('news', { n: 1 });
    a.notify('news', 'two');
    a.notify('news');
    await waitFor(() => got.length === 3);
    expect(got).toEqual([{ n: 1 }, 'two', null]);
    expect(contexts.every((c) => c.peer === b && c.name === 'news')).toBe(true);
    expect(framesOf(sent('a'), 'n').map((n) => [n.name, str(n.payload)])).toEqual([
      ['news', '{"n":1}'],
      ['news', '"two"'],
      ['news', 'null'],
    ]);
    a.destroy();
  });

  test('notifications go both ways and need no reply', async () => {
    const { a, b, wire } = tappedPeers();
    const atA = deferred<unknown>();
    const atB = deferred<unknown>();
    a.handlers.onNotification('ping', (v) => atA.resolve(v));
    b.handlers.onNotification('ping', (v) => atB.resolve(v));
    a.notify('ping', 'from a');
    b.notify('ping', 'from b');
    expect(await atB.promise).toBe('from a');
    expect(await atA.promise).toBe('from b');
    expect(wire.map((e) => e.frame.type).filter((t) => t !== 'h')).toEqual(['n', 'n']);
    a.destroy();
  });

  test('bytes notifications carry raw payloads, including empty ones', async () => {
    const [a, b] = connectedPeers();
    const got: number[][] = [];
    b.handlers.onNotificationBytes('raw', (p) => void got.push(Array.from(p)));
    a.notifyBytes('raw', new Uint8Array([0, 255, 10]));
    a.notifyBytes('raw', new Uint8Array(0));
    await waitFor(() => got.length === 2);
    expect(got).toEqual([[0, 255, 10], []]);
    a.destroy();
  });

  test('typed notifications are parsed for the handler', async () => {
    const [a, b] = connectedPeers();
    const got = deferred<{ text: string }>();
    b.handlers.onNotification(chat, (msg) => got.resolve(msg));
    await a.notify(chat, { text: 'typed' });
    expect(await got.promise).toEqual({ text: 'typed' });
    a.destroy();
  });

  test('a shared registry handles notifications; a local handler takes precedence', async () => {
    const shared = new Handlers();
    const sharedGot: unknown[] = [];
    const localGot: unknown[] = [];
    shared.onNotification('x', (v) => void sharedGot.push(v));
    shared.onNotification('y', (v) => void sharedGot.push(v));
    const [a, b] = connectedPeers({}, { handlers: shared });
    b.handlers.onNotification('x', (v) => void localGot.push(v));
    a.notify('x', 1);
    a.notify('y', 2);
    await waitFor(() => sharedGot.length + localGot.length === 2);
    expect(localGot).toEqual([1]);
    expect(sharedGot).toEqual([2]);
    expect(b.handlers.removeNotification('x')).toBe(true);
    a.notify('x', 3);
    await waitFor(() => sharedGot.length === 2);
    expect(sharedGot).toEqual([2, 3]);
    a.destroy();
  });

  test('notifications with unknown names are ignored: no reply, no error, the connection stays up', async () => {
    const { a, b, sent } = tappedPeers();
    const events = recordActivity(b);
    b.handlers.handle('echo', (v) => v);
    a.notify('nobody-listens', { x: 1 });
    expect(await a.request('echo', 'after')).toBe('after');
    expect(events.some((e) => e.type === 'notification' && e.dir === 'in' && e.name === 'nobody-listens')).toBe(true);
    expect(errorsOf(events)).toEqual([]);
    expect(framesOf(sent('b'), 'E')).toEqual([]);
    a.destroy();
  });

  test('a throwing notification handler is reported as an error event and the connection stays up', async () => {
    const [a, b] = connectedPeers();
    const events = recordActivity(b);
    b.handlers.onNotification('sync', () => {
      throw new Error('sync handler failed');
    });
    b.handlers.onNotification('async', async () => {
      throw new Error('async handler failed');
    });
    b.handlers.onNotification('str', () => {
      throw 'a string';
    });
    b.handlers.onNotification('json', () => {});
    b.handlers.handle('echo', (v) => v);
    a.notify('sync');
    a.notify('async');
    a.notify('str');
    a.notifyBytes('json', bytes('{not json'));
    await waitFor(() => errorsOf(events).length === 4);
    const errors = errorsOf(events);
    expect(errors.every((e) => e instanceof Error)).toBe(true);
    expect(
      errors
        .filter((e) => !(e instanceof SyntaxError))
        .map((e) => e.message)
        .sort(),
    ).toEqual(['a string', 'async handler failed', 'sync handler failed']);
    expect(errors.filter((e) => e instanceof SyntaxError)).toHaveLength(1); // the bad JSON
    expect(await a.request('echo', 'alive')).toBe('alive');
    expect(a.open && b.open).toBe(true);
    a.destroy();
  });

  test('notify after close throws ClosedError', async () => {
    const [a, b] = connectedPeers();
    await a.ready;
    await a.close();
    expect(thrownBy(() => a.notify('x', 1))).toBeInstanceOf(ClosedError);
    expect(thrownBy(() => a.notifyBytes('x', new Uint8Array(1))).code).toBe('CLOSED');
    // The typed form reports it through its promise.
    const err = await errorOf(a.notify(chat, { text: 'late' }));
    expect(err).toBeInstanceOf(ClosedError);
    // The other side closed too.
    await b.closed;
    expect(thrownBy(() => b.notify('x')).code).toBe('CLOSED');
  });

  test('notify while closing throws ClosedError', async () => {
    const [a, b] = connectedPeers();
    const gate = deferred();
    b.handlers.handle('hold', () => gate.promise.then(() => 1));
    const held = a.request('hold');
    await waitFor(() => b.inFlight === 1);
    void a.close();
    expect(thrownBy(() => a.notify('x')).code).toBe('CLOSED');
    gate.resolve();
    expect(await held).toBe(1);
  });

  test('an invalid notification name throws INVALID_NAME and sends nothing', async () => {
    const { a, sent } = tappedPeers();
    expect(thrownBy(() => a.notify('', 1)).code).toBe('INVALID_NAME');
    expect(thrownBy(() => a.notify('n'.repeat(4096), 1)).code).toBe('INVALID_NAME');
    await a.notify(chat, { text: 'ok' });
    await waitFor(() => framesOf(sent('a'), 'n').length === 1);
    expect(framesOf(sent('a'), 'n')[0]!.name).toBe('chat');
    expect(a.open).toBe(true);
    a.destroy();
  });
});
