// @gotalk/pool is runtime-neutral: its sources import @gotalk/peer and each other, nothing else
// (no Node built-in, no DOM), it depends on @gotalk/peer alone, and the browser bundle holds none of it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const PACKAGE = fileURLToPath(new URL('../', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

test('the sources import only @gotalk/peer and their own files', () => {
  const specifiers = new Set<string>();
  for (const file of sources(join(PACKAGE, 'src'))) {
    for (const m of readFileSync(file, 'utf8').matchAll(/\bfrom\s+'([^']+)'|\bimport\s*\(\s*'([^']+)'\s*\)|^import\s+'([^']+)'/gm)) {
      const s = (m[1] ?? m[2] ?? m[3])!;
      if (!s.startsWith('.')) specifiers.add(s);
    }
  }
  expect([...specifiers]).toEqual(['@gotalk/peer']);
});

test('the package depends on @gotalk/peer alone, and compiles without Node or DOM types', () => {
  const manifest = JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  expect(Object.keys(manifest.dependencies)).toEqual(['@gotalk/peer']);
  const tsconfig = JSON.parse(readFileSync(join(PACKAGE, 'tsconfig.json'), 'utf8')) as { compilerOptions: Record<string, unknown> };
  const base = JSON.parse(readFileSync(join(PACKAGE, '../../tsconfig.base.json'), 'utf8')) as { compilerOptions: { lib: string[]; types: string[] } };
  expect(tsconfig.compilerOptions.lib ?? base.compilerOptions.lib).toEqual(['es2023']);
  expect(tsconfig.compilerOptions.types ?? base.compilerOptions.types).toEqual([]);
});
