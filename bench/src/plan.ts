import type { ConnectCase, ConnectImpl, ConnectLink } from './cases/connect.ts';
import { IMPLS, type Impl, type Transport } from './clients/index.ts';
import type { Measurements, StreamImpl } from './results.ts';
import type { Settings } from './settings.ts';

const KINDS = ['raw', 'gotalk'] as const;
const STREAMS: readonly StreamImpl[] = ['raw', 'gotalk', 'grpc'];
/** The connect cases, each with the implementations it compares (raw first) and its name in row ids. */
export const CONNECT_CASES: readonly { case: ConnectCase; link: ConnectLink; name: string; impls: readonly ConnectImpl[] }[] = [
  { case: 'close', link: 'loopback', name: 'connect+close', impls: ['raw', 'gotalk'] },
  { case: 'request', link: 'loopback', name: 'connect+request+close', impls: ['raw', 'gotalk pipeline', 'gotalk'] },
  { case: 'request', link: 'delayed', name: 'connect+request+close delayed', impls: ['raw', 'gotalk pipeline', 'gotalk'] },
];

/** Every case of a run, not yet measured; with \`--only=REGEX\`, those whose id matches. */
export function plan(s: Settings): Measurements {
  const m: Measurements = { echo: [], stream: [], connect: [], idle: [] };
  for (const transport of ['tcp', 'unix', 'ws'] as Transport[]) {
    for (const impl of Object.keys(IMPLS) as Impl[]) {
      if ((transport === 'ws' ? IMPLS[impl].wsServer : IMPLS[impl].server) === null) continue;
      for (const size of s.sizes) {
        for (const inflight of s.inflight) {
          m.echo.push({ id: `${transport} ${impl} ${size} B x${inflight}`, transport, impl, size, inflight, passes: [] });
        }
      }
    }
  }
  for (const transport of s.streamTransports)
    for (const impl of STREAMS) m.stream.push({ id: `${transport} ${impl} stream 64 KiB parts`, transport, impl, passes: [] });
  for (const c of CONNECT_CASES) for (const impl of c.impls) m.connect.push({ id: `tcp ${impl} ${c.name}`, case: c.case, link: c.link, impl, passes: [] });
  for (const impl of KINDS) m.idle.push({ id: `tcp ${impl} ${s.idleConnections} idle`, impl, passes: [] });
  const only = s.only;
  if (!only) return m;
  const keep = <T extends { id: string }>(rows: T[]) => rows.filter((r) => only.test(r.id));
  return { echo: keep(m.echo), stream: keep(m.stream), connect: keep(m.connect), idle: keep(m.idle) };
}
