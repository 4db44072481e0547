/** The bodies of the fenced code blocks of `markdown` whose info string is `lang`, in order. */
export function readmeBlocks(markdown: string, lang: string): string[] {
  const blocks: string[] = [];
  const fence = /^```(\S*)[^\n]*\n([\s\S]*?)^```$/gm;
  for (const m of markdown.matchAll(fence)) if (m[1] === lang) blocks.push(m[2]!);
  return blocks;
}
