import { loadavg } from 'node:os';
import type { EchoResult } from './cases/echo.ts';
import { IMPLS, type Impl, type Transport } from './clients/index.ts';
import { int, mb, ms, ratio, size } from './format.ts';
import type { Machine } from './machine.ts';
import type { EchoRow, IdleResult, Measurements, Outcome } from './results.ts';
import type { Settings } from './settings.ts';

type Ratios = Record<string, number | null>;

export interface EchoFigure {
  readonly transport: Transport;
  readonly impl: Impl;
  readonly size: number;
  readonly inflight: number;
  /** The best round (highest req/s); its latencies are that round's. */
  readonly result: EchoResult | null;
  /** req/s of every round that succeeded. */
  readonly samples: number[];
  readonly error: string | null;
  /** Each figure divided by the raw echo's (same transport, size, in-flight count); latency ratios above 1 are slower. */
  readonly vsRaw: Ratios | null;
  /** WebSocket only: each figure divided by the best peer library's (highest req/s, lowest latency). */
  readonly vsBestPeer: { readonly peer: string; readonly ratios: Ratios } | null;
}

export interface Target {
  readonly name: string;
  readonly rule: string;
  readonly measured: number | null;
  readonly shown: string;
  readonly met: boolean | null;
  readonly note: string;
}

export interface Report {
  readonly date: string;
  readonly mode: 'quick' | 'full';
  readonly machine: Machine;
  readonly settings: Omit<Settings, 'only'> & { readonly only: string | null };
  /** The system's 1-minute load average when the run started and ended: other work on the machine skews the figures. */
  readonly loadAverage: { readonly start: number; readonly end: number };
  readonly echo: EchoFigure[];
  readonly stream: { transport: string; impl: string; mbPerSec: number | null; samples: number[]; error: string | null; vsRaw: number | null }[];
  readonly connect: { transport: 'tcp'; impl: string; perSec: number | null; samples: number[]; error: string | null; vsRaw: number | null }[];
  readonly idle: { transport: 'tcp'; impl: string; result: IdleResult | null; error: string | null; vsRaw: number | null }[];
  readonly targets: Target[];
}

const round2 = (n: number) => Math.round(n * 100) / 100;
const value = <T>(o: Outcome<T> | undefined): T | null => (o && o.ok ? o.value : null);
const why = <T>(o: Outcome<T>): string | null => (o.ok ? null : o.reason);
const div = (a: number | undefined, b: number | undefined): number | null => (a === undefined || b === undefined || !(b > 0) ? null : a / b);

function echoRatios(r: EchoResult, base: EchoResult): Ratios {
  return {
    reqPerSec: div(r.reqPerSec, base.reqPerSec),
    mbPerSec: div(r.mbPerSec, base.mbPerSec),
    p50Ms: div(r.p50Ms, base.p50Ms),
    p99Ms: div(r.p99Ms, base.p99Ms),
  };
}

const PEERS = (Object.keys(IMPLS) as Impl[]).filter((i) => IMPLS[i].kind === 'peer');

export function buildReport(m: Measurements, settings: Settings, mach: Machine, date: Date, loadAtStart: number): Report {
  const find = (t: Transport, impl: Impl, sz: number, inf: number): EchoRow | undefined =>
    m.echo.find((r) => r.transport === t && r.impl === impl && r.size === sz && r.inflight === inf);
  const echo: EchoFigure[] = m.echo.map((r) => {
    const result = value(r.outcome);
    const raw = value(find(r.transport, 'raw', r.size, r.inflight)?.outcome);
    let vsBestPeer: EchoFigure['vsBestPeer'] = null;
    if (r.transport === 'ws' && result) {
      const peers = PEERS.map((p) => ({ p, v: value(find('ws', p, r.size, r.inflight)?.outcome) })).filter((x) => x.v !== null) as { p: Impl; v: EchoResult }[];
      if (peers.length > 0) {
        const fastest = peers.reduce((a, b) => (b.v.reqPerSec > a.v.reqPerSec ? b : a));
        const quickest = (k: 'p50Ms' | 'p99Ms') => Math.min(...peers.map((x) => x.v[k]));
        vsBestPeer = {
          peer: fastest.p,
          ratios: {
            reqPerSec: div(result.reqPerSec, fastest.v.reqPerSec),
            mbPerSec: div(result.mbPerSec, fastest.v.mbPerSec),
            p50Ms: div(result.p50Ms, quickest('p50Ms')),
            p99Ms: div(result.p99Ms, quickest('p99Ms')),
          },
        };
      }
    }
    return {
      transport: r.transport,
      impl: r.impl,
      size: r.size,
      inflight: r.inflight,
      result,
      samples: r.samples.map(round2),
      error: why(r.outcome),
      vsRaw: result && raw ? echoRatios(result, raw) : null,
      vsBestPeer,
    };
  });
  const stream = m.stream.map((r) => {
    const raw = value(m.stream.find((x) => x.transport === r.transport && x.impl === 'raw')?.outcome);
    const v = value(r.outcome);
    return {
      transport: r.transport,
      impl: r.impl,
      mbPerSec: v?.mbPerSec ?? null,
      samples: r.samples.map(round2),
      error: why(r.outcome),
      vsRaw: div(v?.mbPerSec, raw?.mbPerSec),
    };
  });
  const rawConnect = value(m.connect.find((x) => x.impl === 'raw')?.outcome);
  const connect = m.connect.map((r) => {
    const v = value(r.outcome);
    return {
      transport: 'tcp' as const,
      impl: r.impl,
      perSec: v?.perSec ?? null,
      samples: r.samples.map(round2),
      error: why(r.outcome),
      vsRaw: div(v?.perSec, rawConnect?.perSec),
    };
  });
  const rawIdle = value(m.idle.find((x) => x.impl === 'raw')?.outcome);
  const idle = m.idle.map((r) => {
    const v = value(r.outcome);
    return { transport: 'tcp' as const, impl: r.impl, result: v, error: why(r.outcome), vsRaw: div(v?.heapPerConnection, rawIdle?.heapPerConnection) };
  });
  const partial = { echo, stream, idle };
  return {
    date: date.toISOString(),
    mode: settings.quick ? 'quick' : 'full',
    machine: mach,
    settings: { ...settings, only: settings.only?.source ?? null },
    loadAverage: { start: round2(loadAtStart), end: round2(loadavg()[0]!) },
    echo,
    stream,
    connect,
    idle,
    targets: targets(partial),
  };
}

function targets(r: Pick<Report, 'echo' | 'stream' | 'idle'>): Target[] {
  const fig = (t: Transport, impl: Impl, sz: number, inf: number) =>
    r.echo.find((e) => e.transport === t && e.impl === impl && e.size === sz && e.inflight === inf);
  const out: Target[] = [];
  const add = (name: string, rule: string, measured: number | null | undefined, ok: (v: number) => boolean, note: string, shown?: (v: number) => string) => {
    const v = measured ?? null;
    out.push({ name, rule, measured: v, shown: v === null ? 'n/a' : (shown ?? ratio)(v), met: v === null ? null : ok(v), note });
  };
  const names: Record<Transport, string> = { tcp: 'TCP', unix: 'Unix', ws: 'WebSocket' };
  const req32: [Transport, number][] = [
    ['unix', 0.6],
    ['tcp', 0.7],
    ['ws', 0.8],
  ];
  for (const [t, min] of req32) {
    add(
      `${names[t]} 64 in flight, 32 B: req/s vs raw ${names[t]}`,
      `≥ ${min}×`,
      fig(t, 'gotalk bytes', 32, 64)?.vsRaw?.['reqPerSec'],
      (v) => v >= min,
      'gotalk bytes',
    );
  }
  const ws = fig('ws', 'gotalk json', 32, 64);
  add(
    'WebSocket 64 in flight, 32 B: req/s vs fastest peer',
    '≥ 1.3×',
    ws?.vsBestPeer?.ratios['reqPerSec'],
    (v) => v >= 1.3,
    `gotalk json vs ${ws?.vsBestPeer?.peer ?? 'n/a'}`,
  );
  for (const t of ['tcp', 'unix', 'ws'] as const) {
    add(`${names[t]} 1 in flight, 32 B: p50 latency vs raw`, '≤ 1.3×', fig(t, 'gotalk bytes', 32, 1)?.vsRaw?.['p50Ms'], (v) => v <= 1.3, 'gotalk bytes');
  }
  for (const t of ['tcp', 'unix', 'ws'] as const) {
    add(
      `${names[t]} 64 KiB echo, 64 in flight: MB/s vs raw`,
      '≥ 0.7×',
      fig(t, 'gotalk bytes', 65536, 64)?.vsRaw?.['mbPerSec'],
      (v) => v >= 0.7,
      'gotalk bytes',
    );
  }
  for (const s of r.stream.filter((x) => x.impl === 'gotalk')) {
    add(`${names[s.transport as Transport]} stream of 64 KiB parts: MB/s vs raw`, '≥ 0.7×', s.vsRaw, (v) => v >= 0.7, 'stream() echo vs raw byte echo');
  }
  const idle = r.idle.find((x) => x.impl === 'gotalk');
  add(
    'Heap per idle connection (server)',
    '≤ 16 kB',
    idle?.result?.heapPerConnection,
    (v) => v <= 16_000,
    `${idle?.result?.connections ?? 0} idle TCP connections`,
    (v) => `${int(v)} B`,
  );
  return out;
}

// ----- tables: the same rows for the terminal and for Markdown -----

export const ECHO_HEADERS = ['transport', 'implementation', 'size', 'in flight', 'req/s', 'MB/s', 'p50 ms', 'p99 ms', '× raw', '× best peer'];

export function echoRows(r: Report): string[][] {
  return r.echo.map((e) => {
    const head = [e.transport, e.impl, size(e.size), String(e.inflight)];
    if (!e.result) return [...head, `n/a (${e.error ?? '?'})`, '', '', '', '', ''];
    return [
      ...head,
      int(e.result.reqPerSec),
      mb(e.result.mbPerSec),
      ms(e.result.p50Ms),
      ms(e.result.p99Ms),
      e.impl === 'raw' ? '' : ratio(e.vsRaw?.['reqPerSec']),
      e.vsBestPeer && IMPLS[e.impl].kind !== 'peer' ? ratio(e.vsBestPeer.ratios['reqPerSec']) : '',
    ];
  });
}

export const OTHER_HEADERS = ['case', 'transport', 'implementation', 'figure', '× raw'];

export function otherRows(r: Report): string[][] {
  const na = (e: string | null) => `n/a (${e ?? '?'})`;
  return [
    ...r.stream.map((s) => [
      'stream, 64 KiB parts',
      s.transport,
      s.impl,
      s.mbPerSec === null ? na(s.error) : `${mb(s.mbPerSec)} MB/s`,
      s.impl === 'raw' ? '' : ratio(s.vsRaw),
    ]),
    ...r.connect.map((c) => [
      'connect + close',
      c.transport,
      c.impl,
      c.perSec === null ? na(c.error) : `${int(c.perSec)} /s`,
      c.impl === 'raw' ? '' : ratio(c.vsRaw),
    ]),
    ...r.idle.map((i) => [
      `heap per idle connection (${i.result?.connections ?? '?'})`,
      i.transport,
      i.impl,
      i.result === null ? na(i.error) : `${int(i.result.heapPerConnection)} B (+${int(i.result.externalPerConnection)} B external)`,
      i.impl === 'raw' ? '' : ratio(i.vsRaw),
    ]),
  ];
}

export const TARGET_HEADERS = ['target', 'rule', 'measured', 'result', 'note'];

export function targetRows(r: Report): string[][] {
  return r.targets.map((t) => [t.name, t.rule, t.shown, t.met === null ? 'n/a' : t.met ? 'met' : 'missed', t.note]);
}
