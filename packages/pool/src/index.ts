/**
 * @gotalk/pool: a load-aware pool of Gotalk workers with failover, job tracking and figures.
 * Runtime-neutral: its members are any connections (`Peer`s over any transport), so the same
 * pool runs in Node, browsers and workers; how workers are started is the runtime's business.
 */
export { Pool, type PoolState } from './pool.ts';
export { PoolError, type PoolErrorCode } from './errors.ts';
export type { PoolLimits, PoolOptions, PoolRequestOptions } from './options.ts';
export type { JobCounts, JobInfo, JobState, PoolEvents } from './events.ts';
export type { MemberFigures, MemberOptions, MemberState, PoolMember } from './member.ts';
export type { ConnectionSource, FeedOptions } from './feed.ts';
export type { GatherOptions, GatherResult } from './gather.ts';
export type { StartOptions, WorkerFactory } from './restart.ts';
export type { PoolFigures } from './figures/pool-figures.ts';
export { Histogram, type HistogramSummary } from './figures/histogram.ts';
