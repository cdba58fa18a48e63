import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

// Keeps the house rule true: no error swallowed whole, none logged without its stack. A swallow
// that is right names the error code it expects (see packages/sandbox/src/cgroup-fs.ts).

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

const forbidden: Array<[RegExp, string]> = [
  [/\.catch\(\(\) => (\{\}|undefined|null)\)/, 'a catch that drops every error'],
  [/\.(on|once)\('error', \(\) => \{\}\)/, 'an empty error listener'],
  [/\berr: \(?err( as Error)?\)?\.message\b/, 'an error logged without its stack: log `{ err }`'],
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

it('no source file of apps/*/src or packages/*/src swallows an error or logs one without its stack', () => {
  const found: string[] = [];
  for (const group of ['apps', 'packages']) {
    for (const pkg of readdirSync(join(repoRoot, group), { withFileTypes: true })) {
      if (!pkg.isDirectory()) continue;
      let files: string[];
      try {
        files = sourceFiles(join(repoRoot, group, pkg.name, 'src'));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // a package without src/
        throw err;
      }
      for (const file of files) {
        const shown = relative(repoRoot, file);
        readFileSync(file, 'utf8')
          .split('\n')
          .forEach((line, i) => {
            for (const [pattern, what] of forbidden) if (pattern.test(line)) found.push(`${shown}:${i + 1}: ${what}`);
          });
      }
    }
  }
  expect(found).toEqual([]);
});
