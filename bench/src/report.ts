import type { ConnectCase, ConnectLink } from './cases/connect.ts';
import { LINK_DELAY_MS } from './servers/delayed-link.ts';
import type { EchoResult } from './cases/echo.ts';
import { IMPLS, type Impl, type Transport } from './clients/index.ts';
import type { Busy } from './busy.ts';
import { bundleTarget } from './bundle-report.ts';
import type { BundleReport } from './bundles.ts';
import { int, mb, ms, ratio, size } from './format.ts';
import type { Machine } from './machine.ts';
import { okValues, whyNot, type EchoRow, type IdleResult, type Measurements, type Outcome, type Row } from './results.ts';
import type { Settings } from './settings.ts';
import { pairedRatios, spreadOf, type Spread } from './spread.ts';

/** Ratios measured pass by pass (same pass, back to back), by figure: reqPerSec, mbPerSec, p50Ms, p99Ms. */
type Ratios = Record<string, Spread | null>;

export interface EchoFigure {
  readonly transport: Transport;
  readonly impl: Impl;
  readonly size: number;
  readonly inflight: number;
  /** The median over the passes of each figure (req/s, MB/s, p50, p99 separately). */
  readonly result: EchoResult | null;
  /** req/s of each pass (null where it failed). */
  readonly samples: (number | null)[];
  readonly error: string | null;
  /** Each figure divided by the raw echo's of the same pass (same transport, size, in-flight count); latency ratios above 1 are slower. */
  readonly vsRaw: Ratios | null;
  /**
   * Divided by the best peer library of the same transport (the highest median req/s: gRPC over TCP
   * and Unix sockets, the fastest of birpc, json-rpc-2.0 and socket.io over WebSocket), pass by
   * pass; latencies by the lowest peer latency of each pass.
   */
  readonly vsBestPeer: { readonly peer: string; readonly ratios: Ratios } | null;
}

/** What a target concludes: judged on the median of the passes, unless the rule's bound lies inside their middle half. */
export type Verdict = 'met' | 'missed' | 'too noisy' | 'n/a';

export interface Target {
  readonly name: string;
  readonly rule: string;
  /** The ratio (or figure) over the passes. */
  readonly measured: Spread | null;
  readonly shown: string;
  readonly verdict: Verdict;
  readonly note: string;
}

type Figure = { transport: string; impl: string; samples: (number | null)[]; error: string | null };

export interface Report {
  readonly date: string;
  readonly mode: 'quick' | 'full';
  readonly machine: Machine;
  readonly settings: Omit<Settings, 'only'> & { readonly only: string | null };
  /** How busy the machine was during the run, apart from the benchmark itself. */
  readonly busy: Busy;
  /** Wall time of the run, seconds. */
  readonly seconds: number;
  readonly echo: EchoFigure[];
  readonly stream: (Figure & { mbPerSec: number | null; vsRaw: Spread | null })[];
  /** Connections per second of each connect case; `vsRaw` divides by the raw socket's of the same case and pass. */
  readonly connect: (Figure & { case: ConnectCase; link: ConnectLink; perSec: number | null; vsRaw: Spread | null })[];
  readonly idle: { transport: 'tcp'; impl: string; result: IdleResult | null; error: string | null; vsRaw: number | null }[];
  /** The browser bundles side by side; null when the run left them out, absent in results from before they were measured. */
  readonly bundles?: BundleReport | null;
  readonly targets: Target[];
}

const round2 = (n: number) => Math.round(n * 100) / 100;
const byPass = <T>(row: Row<T> | undefined, n: number): (T | null)[] =>
  Array.from({ length: n }, (_, i) => (row?.passes[i]?.ok ? (row.passes[i] as { value: T }).value : null));
const median = (values: number[]): number | null => spreadOf(values)?.median ?? null;
const errorOf = <T>(row: Row<T>): string | null => (okValues(row).length > 0 ? null : whyNot(row));

const FIGURES = ['reqPerSec', 'mbPerSec', 'p50Ms', 'p99Ms'] as const;

function medianResult(row: EchoRow): EchoResult | null {
  const v = okValues(row);
  if (v.length === 0) return null;
  const med = (k: keyof EchoResult) => median(v.map((x) => x[k]))!;
  return {
    requests: med('requests'),
    seconds: med('seconds'),
    reqPerSec: med('reqPerSec'),
    mbPerSec: med('mbPerSec'),
    p50Ms: med('p50Ms'),
    p99Ms: med('p99Ms'),
  };
}

/** Per-pass ratios of `a` to `b` for every figure. */
function echoRatios(a: (EchoResult | null)[], b: (EchoResult | null)[]): Ratios {
  return Object.fromEntries(FIGURES.map((k) => [k, spreadOf(pairedRatios(a, b, (v) => v[k]))]));
}

const PEERS = (Object.keys(IMPLS) as Impl[]).filter((i) => IMPLS[i].kind === 'peer');

/** The report of a run: the median of each figure and of each pass-by-pass ratio, the bundles, the targets' verdicts. */
export function buildReport(m: Measurements, bundles: BundleReport | null, settings: Settings, mach: Machine, date: Date, busy: Busy, seconds: number): Report {
  const n = settings.passes;
  const find = (t: Transport, impl: Impl, sz: number, inf: number): EchoRow | undefined =>
    m.echo.find((r) => r.transport === t && r.impl === impl && r.size === sz && r.inflight === inf);
  const echo: EchoFigure[] = m.echo.map((r) => {
    const mine = byPass(r, n);
    const result = medianResult(r);
    const raw = find(r.transport, 'raw', r.size, r.inflight);
    let vsBestPeer: EchoFigure['vsBestPeer'] = null;
    if (result && IMPLS[r.impl].kind === 'gotalk') {
      const peers = PEERS.map((p) => find(r.transport, p, r.size, r.inflight))
        .filter((x): x is EchoRow => x !== undefined && okValues(x).length > 0)
        .map((x) => ({ impl: x.impl, passes: byPass(x, n), med: medianResult(x)!.reqPerSec }));
      if (peers.length > 0) {
        const fastest = peers.reduce((a, b) => (b.med > a.med ? b : a));
        // Per pass, the lowest latency of any peer in that pass.
        const quickest = Array.from({ length: n }, (_, i) => {
          const got = peers.map((p) => p.passes[i]).filter((x): x is EchoResult => x !== null && x !== undefined);
          return got.length === 0 ? null : { p50Ms: Math.min(...got.map((x) => x.p50Ms)), p99Ms: Math.min(...got.map((x) => x.p99Ms)) };
        });
        const rates = echoRatios(mine, fastest.passes);
        vsBestPeer = {
          peer: fastest.impl,
          ratios: {
            reqPerSec: rates['reqPerSec']!,
            mbPerSec: rates['mbPerSec']!,
            p50Ms: spreadOf(pairedRatios(mine, quickest, (v) => v.p50Ms)),
            p99Ms: spreadOf(pairedRatios(mine, quickest, (v) => v.p99Ms)),
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
      samples: mine.map((v) => (v ? round2(v.reqPerSec) : null)),
      error: errorOf(r),
      vsRaw: result && raw && r.impl !== 'raw' ? echoRatios(mine, byPass(raw, n)) : null,
      vsBestPeer,
    };
  });
  const stream = m.stream.map((r) => {
    const raw = m.stream.find((x) => x.transport === r.transport && x.impl === 'raw');
    const mine = byPass(r, n);
    return {
      transport: r.transport,
      impl: r.impl,
      mbPerSec: median(okValues(r).map((v) => v.mbPerSec)),
      samples: mine.map((v) => (v ? round2(v.mbPerSec) : null)),
      error: errorOf(r),
      vsRaw: r.impl === 'raw' ? null : spreadOf(pairedRatios(mine, byPass(raw, n), (v) => v.mbPerSec)),
    };
  });
  const connect = m.connect.map((r) => {
    const mine = byPass(r, n);
    const rawConnect = m.connect.find((x) => x.case === r.case && x.link === r.link && x.impl === 'raw');
    return {
      transport: 'tcp' as const,
      case: r.case,
      link: r.link,
      impl: r.impl,
      perSec: median(okValues(r).map((v) => v.perSec)),
      samples: mine.map((v) => (v ? round2(v.perSec) : null)),
      error: errorOf(r),
      vsRaw: r.impl === 'raw' ? null : spreadOf(pairedRatios(mine, byPass(rawConnect, n), (v) => v.perSec)),
    };
  });
  const first = <T>(o: Outcome<T> | undefined): T | null => (o?.ok ? o.value : null);
  const rawIdle = first(m.idle.find((x) => x.impl === 'raw')?.passes[0]);
  const idle = m.idle.map((r) => {
    const v = first(r.passes[0]);
    const vsRaw = v && rawIdle && rawIdle.heapPerConnection > 0 ? v.heapPerConnection / rawIdle.heapPerConnection : null;
    return { transport: 'tcp' as const, impl: r.impl, result: v, error: errorOf(r), vsRaw };
  });
  return {
    date: date.toISOString(),
    mode: settings.quick ? 'quick' : 'full',
    machine: mach,
    settings: { ...settings, only: settings.only?.source ?? null },
    busy,
    seconds: Math.round(seconds),
    echo,
    stream,
    connect,
    idle,
    bundles,
    targets: targets({ echo, stream, connect, idle, bundles }),
  };
}

/** `0.82× (0.75–0.90)`: the median and the range of the passes. */
export function spreadText(s: Spread | null | undefined, unit = '×', digits = 2): string {
  if (!s) return '';
  const f = (v: number) => v.toFixed(digits);
  return s.n > 1 ? `${f(s.median)}${unit} (${f(s.min)}–${f(s.max)})` : `${f(s.median)}${unit}`;
}

/** Judges `s` against `op bound`: on the median, or 'too noisy' when the bound lies strictly inside the middle half of the passes. */
export function judge(s: Spread | null | undefined, op: '≥' | '≤', bound: number): Verdict {
  if (!s) return 'n/a';
  if (s.n > 1 && s.q1 < bound && bound < s.q3) return 'too noisy';
  return (op === '≥' ? s.median >= bound : s.median <= bound) ? 'met' : 'missed';
}

function targets(r: Pick<Report, 'echo' | 'stream' | 'connect' | 'idle' | 'bundles'>): Target[] {
  const fig = (t: Transport, impl: Impl, sz: number, inf: number) =>
    r.echo.find((e) => e.transport === t && e.impl === impl && e.size === sz && e.inflight === inf);
  const out: Target[] = [];
  const add = (name: string, op: '≥' | '≤', bound: number, measured: Spread | null | undefined, note: string) => {
    const s = measured ?? null;
    out.push({
      name,
      rule: `${op} ${Number.isInteger(bound) ? bound.toFixed(1) : bound}×`,
      measured: s,
      shown: s ? spreadText(s) : 'n/a',
      verdict: judge(s, op, bound),
      note,
    });
  };
  /** The case with the lowest median ratio among `figures`, for a target that must hold at every size and in-flight count. */
  const lowest = (figures: EchoFigure[], pick: (f: EchoFigure) => Spread | null | undefined) =>
    figures
      .map((f) => ({ f, s: pick(f) }))
      .filter((x): x is { f: EchoFigure; s: Spread } => !!x.s)
      .reduce<{ f: EchoFigure; s: Spread } | null>((a, b) => (a === null || b.s.median < a.s.median ? b : a), null);
  const names: Record<Transport, string> = { tcp: 'TCP', unix: 'Unix', ws: 'WebSocket' };
  const req32: [Transport, number][] = [
    ['unix', 0.6],
    ['tcp', 0.7],
    ['ws', 0.8],
  ];
  for (const [t, min] of req32) {
    add(`${names[t]} 64 in flight, 32 B: req/s vs raw ${names[t]}`, '≥', min, fig(t, 'gotalk bytes', 32, 64)?.vsRaw?.['reqPerSec'], 'gotalk bytes');
  }
  const ws = fig('ws', 'gotalk json', 32, 64);
  add('WebSocket 64 in flight, 32 B: req/s vs fastest peer', '≥', 1.3, ws?.vsBestPeer?.ratios['reqPerSec'], `gotalk json vs ${ws?.vsBestPeer?.peer ?? 'n/a'}`);
  const json = lowest(
    r.echo.filter((e) => e.transport === 'ws' && e.impl === 'gotalk json'),
    (f) => f.vsBestPeer?.ratios['reqPerSec'],
  );
  add(
    'WebSocket JSON, every size and in-flight count: req/s vs fastest peer',
    '≥',
    1.0,
    json?.s,
    json ? `lowest: ${size(json.f.size)} x${json.f.inflight}, vs ${json.f.vsBestPeer?.peer}` : 'gotalk json',
  );
  for (const t of ['tcp', 'unix'] as const) {
    const g = lowest(
      r.echo.filter((e) => e.transport === t && e.impl === 'gotalk bytes' && e.vsBestPeer?.peer === 'grpc'),
      (f) => f.vsBestPeer?.ratios['reqPerSec'],
    );
    add(
      `${names[t]}, every size and in-flight count: req/s vs gRPC`,
      '≥',
      1.0,
      g?.s,
      g ? `gotalk bytes; lowest: ${size(g.f.size)} x${g.f.inflight}` : 'gotalk bytes',
    );
  }
  for (const t of ['tcp', 'unix', 'ws'] as const) {
    add(`${names[t]} 1 in flight, 32 B: p50 latency vs raw`, '≤', 1.3, fig(t, 'gotalk bytes', 32, 1)?.vsRaw?.['p50Ms'], 'gotalk bytes');
  }
  for (const t of ['tcp', 'unix', 'ws'] as const) {
    add(`${names[t]} 64 KiB echo, 64 in flight: MB/s vs raw`, '≥', 0.7, fig(t, 'gotalk bytes', 65536, 64)?.vsRaw?.['mbPerSec'], 'gotalk bytes');
  }
  for (const s of r.stream.filter((x) => x.impl === 'gotalk')) {
    add(`${names[s.transport as Transport]} stream of 64 KiB parts: MB/s vs raw`, '≥', 0.7, s.vsRaw, 'stream() echo vs raw byte echo');
  }
  const links: [ConnectLink, string, number][] = [
    // Over loopback the round trip saved is tiny: the per-connection work of two peers sets the figure.
    ['loopback', '', 0.4],
    // A round trip (10 ms) dominates: one more than raw's would take it to about 0.67.
    ['delayed', ` (${LINK_DELAY_MS} ms each way)`, 0.8],
  ];
  for (const [link, where, min] of links) {
    const oneRequest = (impl: string) => r.connect.find((c) => c.case === 'request' && c.link === link && c.impl === impl)?.vsRaw;
    const waiting = oneRequest('gotalk');
    add(
      `TCP${where} connect + one 32 B request + close: connections/s vs raw`,
      '≥',
      min,
      oneRequest('gotalk pipeline'),
      `handshake: 'pipeline'; waiting for the handshake: ${waiting ? spreadText(waiting) : 'n/a'}`,
    );
  }
  const idle = r.idle.find((x) => x.impl === 'gotalk');
  const heap = idle?.result ? spreadOf([idle.result.heapPerConnection]) : null;
  out.push({
    name: 'Heap per idle connection (server)',
    rule: '≤ 16 kB',
    measured: heap,
    shown: heap ? `${int(heap.median)} B` : 'n/a',
    verdict: heap ? (heap.median <= 16_000 ? 'met' : 'missed') : 'n/a',
    note: `${idle?.result?.connections ?? 0} idle TCP connections, one measurement`,
  });
  out.push(bundleTarget(r.bundles));
  return out;
}

// ----- tables: the same rows for the terminal and for Markdown -----

export const ECHO_HEADERS = [
  'transport',
  'implementation',
  'size',
  'in flight',
  'req/s',
  'MB/s',
  'p50 ms',
  'p99 ms',
  '× raw (min–max)',
  '× best peer (min–max)',
];

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
      spreadText(e.vsRaw?.['reqPerSec']),
      e.vsBestPeer ? `${spreadText(e.vsBestPeer.ratios['reqPerSec'])} ${e.vsBestPeer.peer}` : '',
    ];
  });
}

export const OTHER_HEADERS = ['case', 'transport', 'implementation', 'figure', '× raw (min–max)'];

export function otherRows(r: Report): string[][] {
  const na = (e: string | null) => `n/a (${e ?? '?'})`;
  return [
    ...r.stream.map((s) => ['stream, 64 KiB parts', s.transport, s.impl, s.mbPerSec === null ? na(s.error) : `${mb(s.mbPerSec)} MB/s`, spreadText(s.vsRaw)]),
    ...r.connect.map((c) => [
      c.case === 'request' ? `connect + one request + close${c.link === 'delayed' ? `, ${LINK_DELAY_MS} ms each way` : ''}` : 'connect + close',
      c.transport,
      c.impl,
      c.perSec === null ? na(c.error) : `${int(c.perSec)} /s`,
      spreadText(c.vsRaw),
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

export const TARGET_HEADERS = ['target', 'rule', 'median (min–max)', 'verdict', 'note'];

export function targetRows(r: Report): string[][] {
  return r.targets.map((t) => [t.name, t.rule, t.shown, t.verdict, t.note]);
}

const pct = (v: number | null) => (v === null ? 'n/a' : `${Math.round(v * 100)}%`);

/** One line on how busy the machine was: load average, and the share of its CPU time used by others and stolen. */
export function busyLine(r: Report): string {
  const b = r.busy;
  const cpu =
    b.busy === null
      ? ''
      : `; CPU time of all ${r.machine.cores} cores: ${pct(b.busy)} in use, ${pct(b.ours)} by this benchmark, ${pct(b.others)} by other work, ${pct(b.steal)} stolen`;
  return `load average ${b.loadStart} at the start, ${b.loadEnd} at the end${cpu}`;
}
