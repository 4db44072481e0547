import type { Member } from './member.ts';

/**
 * How busy `member` would be with one more job, 0 (idle) .. 1 (full) or more: the larger of
 * the share of its cap that the pool's jobs would take, and the load it last reported (when that
 * report is fresh). The pool's count is exact and always fresh; the reported load covers work the
 * pool does not see (other coordinators, other programs on that machine). The larger of the two,
 * not their sum, so that a worker whose reported load is made of this pool's own jobs is not
 * counted twice.
 */
export function score(member: Member, wallNow: number): number {
  const share = (member.running + 1) / member.concurrency;
  const load = member.load(wallNow);
  return load !== null && load > share ? load : share;
}

/** The better of two members: the lower score, then fewer jobs running, then `a`. */
function better(a: Member, b: Member, wallNow: number): Member {
  const sa = score(a, wallNow);
  const sb = score(b, wallNow);
  if (sa !== sb) return sa < sb ? a : b;
  return b.running < a.running ? b : a;
}

/**
 * Chooses the member for a job, or null when none can take one now (all at their cap, leaving,
 * not yet joined, or closed). Power of two choices: two members drawn at random among the
 * available ones, the better by {@link score} wins. With two members that is always the better
 * one; with many it stays good when load reports are stale, where always taking the least
 * loaded would send every job to the same worker until its next report. `avoid` (the member a
 * job just failed on) is taken only when no other member is available. Allocates nothing: this
 * runs for every job.
 */
export function choose(members: readonly Member[], avoid: Member | null, wallNow: number, random: () => number): Member | null {
  let n = 0;
  let first: Member | null = null;
  let second: Member | null = null;
  let avoided = false;
  for (const m of members) {
    if (!m.available) continue;
    if (m === avoid) {
      avoided = true;
      continue;
    }
    if (n === 0) first = m;
    else if (n === 1) second = m;
    n++;
  }
  if (n === 0) return avoided ? avoid : null;
  if (n === 1) return first;
  if (n === 2) return better(first!, second!, wallNow);
  const i = Math.floor(random() * n) % n;
  let j = Math.floor(random() * (n - 1)) % (n - 1);
  if (j >= i) j++;
  return better(nth(members, avoid, i), nth(members, avoid, j), wallNow);
}

/** The `k`-th available member other than `avoid`. */
function nth(members: readonly Member[], avoid: Member | null, k: number): Member {
  for (const m of members) {
    if (!m.available || m === avoid) continue;
    if (k-- === 0) return m;
  }
  throw new Error('unreachable: fewer members available than counted');
}
