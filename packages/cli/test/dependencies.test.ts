// What each package's sources import against what its package.json declares: the command line
// owns tsx and zod, so that a program using @gotalk/node installs neither (nor esbuild, which
// tsx brings), and no package reaches a module it does not depend on.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const PACKAGES = fileURLToPath(new URL('../../', import.meta.url));

interface Manifest {
  readonly name: string;
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
}

function manifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(PACKAGES, dir, 'package.json'), 'utf8')) as Manifest;
}

/** The packages a consumer of `dir` gets installed with it. */
function installed(dir: string): string[] {
  const m = manifest(dir);
  return Object.keys({ ...m.dependencies, ...m.optionalDependencies, ...m.peerDependencies });
}

/** The `.ts` files under `dir`, at any depth. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.isFile() && e.name.endsWith('.ts') ? [path] : [];
  });
}

/** The package names that the `.ts` files under `packages/<dir>/src` import (static, dynamic or type imports). */
function importedPackages(dir: string): Set<string> {
  const names = new Set<string>();
  for (const file of sources(join(PACKAGES, dir, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\bfrom\s+'([^']+)'|\bimport\s*\(\s*'([^']+)'\s*\)|^import\s+'([^']+)'/gm)) {
      const specifier = (m[1] ?? m[2] ?? m[3])!;
      if (specifier.startsWith('.') || specifier.startsWith('node:')) continue;
      const parts = specifier.split('/');
      names.add(specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!);
    }
  }
  return names;
}

describe('dependencies', () => {
  it('@gotalk/node installs neither tsx nor zod nor esbuild: the command line is @gotalk/cli', () => {
    const deps = installed('node');
    for (const name of ['tsx', 'zod', 'esbuild']) expect(deps).not.toContain(name);
    expect(manifest('node')).not.toHaveProperty('bin');
  });

  it('@gotalk/cli owns what only the command line needs, and reaches the library through @gotalk/node', () => {
    const imported = importedPackages('cli');
    for (const name of ['tsx', 'zod', '@gotalk/node']) expect(imported).toContain(name);
    expect(imported).not.toContain('@gotalk/peer');
  });

  it.each(['protocol', 'peer', 'node', 'browser', 'cli'])('packages/%s/src imports only packages its package.json depends on', (dir) => {
    const undeclared = [...importedPackages(dir)].filter((name) => !installed(dir).includes(name));
    expect(undeclared, `${manifest(dir).name} imports undeclared packages`).toEqual([]);
  });
});
