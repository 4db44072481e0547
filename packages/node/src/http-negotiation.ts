// The parts of HTTP content negotiation and caching that serving gotalk.js needs.

/**
 * True when an `If-None-Match` header matches `etag`: `*`, or a comma-separated list of
 * entity tags of which one is `etag` under weak comparison (a `W/` prefix is ignored).
 */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const bare = (tag: string) => tag.trim().replace(/^W\//, '');
  const wanted = bare(etag);
  return header.split(',').some((tag) => tag.trim() === '*' || bare(tag) === wanted);
}

/**
 * True when an `Accept-Encoding` header accepts gzip: `gzip` (or `x-gzip`, or `*` when gzip is
 * not named) with a quality above 0.
 */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  let star: number | null = null;
  for (const entry of header.split(',')) {
    const [coding = '', ...params] = entry.split(';').map((s) => s.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    const quality = q === undefined ? 1 : Number(q.slice(2));
    if (coding === 'gzip' || coding === 'x-gzip') return quality > 0;
    if (coding === '*') star = quality;
  }
  return star !== null && star > 0;
}
