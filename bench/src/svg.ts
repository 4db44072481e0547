import { IMPLS, type Impl, type Transport } from './clients/index.ts';
import { int, ms } from './format.ts';
import type { EchoFigure, Report } from './report.ts';

const COLORS: Record<Impl, string> = {
  raw: '#9aa0a6',
  'gotalk bytes': '#1a73e8',
  'gotalk json': '#7baaf7',
  birpc: '#e37400',
  'json-rpc-2.0': '#188038',
  'socket.io': '#a142f4',
  grpc: '#d93025',
};
const TRANSPORTS: [Transport, string][] = [
  ['tcp', 'TCP'],
  ['unix', 'Unix socket'],
  ['ws', 'WebSocket'],
];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const WIDTH = 760;
const LABEL = 150;
const BARS = 470;
const BAR = 14;
const GAP = 4;

/** One panel: per transport, a bar for each implementation measured there. */
function panel(
  title: string,
  figures: EchoFigure[],
  pick: (f: EchoFigure) => number | null,
  show: (v: number) => string,
  y0: number,
): { svg: string; height: number } {
  const parts: string[] = [`<text x="10" y="${y0 + 16}" class="title">${esc(title)}</text>`];
  let y = y0 + 30;
  const values = figures.map(pick).filter((v): v is number => v !== null && Number.isFinite(v));
  const max = Math.max(1e-9, ...values);
  for (const [t, name] of TRANSPORTS) {
    const group = (Object.keys(IMPLS) as Impl[])
      .map((impl) => figures.find((f) => f.transport === t && f.impl === impl))
      .filter((f): f is EchoFigure => f !== undefined);
    if (group.length === 0) continue;
    parts.push(`<text x="10" y="${y + 12}" class="group">${esc(name)}</text>`);
    y += 18;
    for (const f of group) {
      const v = pick(f);
      parts.push(`<text x="${LABEL - 8}" y="${y + BAR - 3}" class="label" text-anchor="end">${esc(f.impl)}</text>`);
      if (v === null || !Number.isFinite(v)) {
        parts.push(`<text x="${LABEL + 4}" y="${y + BAR - 3}" class="value">n/a${f.error ? ` (${esc(f.error.slice(0, 60))})` : ''}</text>`);
      } else {
        const w = Math.max(1, (v / max) * BARS);
        parts.push(`<rect x="${LABEL}" y="${y}" width="${w.toFixed(1)}" height="${BAR}" fill="${COLORS[f.impl]}"/>`);
        parts.push(`<text x="${(LABEL + w + 6).toFixed(1)}" y="${y + BAR - 3}" class="value">${esc(show(v))}</text>`);
      }
      y += BAR + GAP;
    }
    y += 8;
  }
  return { svg: parts.join('\n'), height: y - y0 };
}

/**
 * The chart: req/s of the 32 B echo with 64 requests in flight, and p50 latency with 1 in
 * flight, grouped by transport, raw baseline / Gotalk / peer libraries. Plain SVG, no library.
 */
export function chart(r: Report): string {
  const at = (sz: number, inf: number) => r.echo.filter((f) => f.size === sz && f.inflight === inf);
  const top = panel('Echo, 32 B, 64 requests in flight: requests/s (longer is better)', at(32, 64), (f) => f.result?.reqPerSec ?? null, int, 0);
  const bottom = panel(
    'Echo, 32 B, 1 request in flight: p50 latency, ms (shorter is better)',
    at(32, 1),
    (f) => f.result?.p50Ms ?? null,
    (v) => `${ms(v)} ms`,
    top.height + 10,
  );
  const footY = top.height + 10 + bottom.height + 14;
  const m = r.machine;
  const foot = `${r.mode} run ${r.date.slice(0, 10)} · ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB · Node ${m.node} · loopback, client and server in separate processes`;
  const height = footY + 12;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif">`,
    '<style>.title{font-size:14px;font-weight:600;fill:#202124}.group{font-size:12px;font-weight:600;fill:#3c4043}.label{font-size:11px;fill:#3c4043}.value{font-size:11px;fill:#5f6368}.foot{font-size:10px;fill:#80868b}</style>',
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    top.svg,
    bottom.svg,
    `<text x="10" y="${footY}" class="foot">${esc(foot)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}
