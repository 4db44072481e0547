// Connections made from the same options share one resolved Settings object (a server's peers
// would otherwise hold a copy each), and sharing never lets a bad option through: options are
// checked whenever their values differ from the last ones resolved.
import { describe, expect, test } from 'vitest';
import { resolveSettings } from '../src/options.ts';

describe('resolveSettings', () => {
  test('equal options give the same object, different ones a new one with their values', () => {
    const limits = { maxPayload: 1000 };
    const a = resolveSettings({ heartbeatInterval: 500, limits });
    const b = resolveSettings({ heartbeatInterval: 500, limits: { maxPayload: 1000 } });
    expect(b).toBe(a);
    const c = resolveSettings({ heartbeatInterval: 600, limits });
    expect(c).not.toBe(a);
    expect(c.heartbeatInterval).toBe(600);
    expect(c.limits.maxPayload).toBe(1000);
    const d = resolveSettings({ heartbeatInterval: 600, limits: { maxPayload: 2000 } });
    expect(d.limits.maxPayload).toBe(2000);
    expect(resolveSettings({ heartbeatInterval: 600, limits: { maxPayload: 2000, retryWait: [5, 9] } }).limits.retryWait).toEqual([5, 9]);
  });

  test('a limits object changed between two calls is read again', () => {
    const limits: { maxRequests?: number } = { maxRequests: 3 };
    expect(resolveSettings({ limits }).limits.maxRequests).toBe(3);
    limits.maxRequests = 4;
    expect(resolveSettings({ limits }).limits.maxRequests).toBe(4);
  });

  test('a bad option right after good ones still throws, whatever it looks like next to them', () => {
    resolveSettings({});
    expect(() => resolveSettings({ limits: { retryWait: 5 as unknown as [number, number] } })).toThrow(RangeError);
    expect(() => resolveSettings({ limits: { retryWait: [] as unknown as [number, number] } })).toThrow(RangeError);
    resolveSettings({ limits: { retryWait: [1, 2] } });
    expect(() => resolveSettings({ limits: { retryWait: 1 as unknown as [number, number] } })).toThrow(RangeError);
    expect(() => resolveSettings({ idleTimeout: -1 })).toThrow(RangeError);
    expect(() => resolveSettings({ idleTimeout: Number.NaN })).toThrow(RangeError);
    expect(() => resolveSettings({ limits: { maxStreams: 1.5 } })).toThrow(RangeError);
    expect(resolveSettings({}).idleTimeout).toBeGreaterThan(0);
  });
});
