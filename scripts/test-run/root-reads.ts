import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const SKIPPED_DIRS = new Set(['node_modules', '.next', 'dist', '.cache', '.turbo', '.data']);
const SCANNED = /\.(ts|tsx|mts|json)$/;
/** A relative path in one string literal, e.g. '../../../.env.example'. */
const RELATIVE_LITERAL = /['"`]((?:\.\.\/)+[^'"`$\n]+)['"`]/g;
/** join(import.meta.dirname, '..', '..', 'file'): the same path written as segments. */
const JOINED_SEGMENTS = /join\(\s*import\.meta\.dirname\s*((?:,\s*'[^']*'\s*)+)\)/g;

/**
 * Files outside every workspace package that a package's code, tests or configs refer to by a relative path (the
 * repository root's `.env.example`, `playwright.shared.ts`, …). Turbo hashes only a package's own files (and its
 * workspace dependencies through `^topo`), so each of these must be a declared input of the package's `test` task, or
 * a change to it replays a cached, stale result. Reads written any other way are not seen: keep root reads literal.
 */
export function rootFilesReadBy(packageDir: string, root: string, workspaceDirs: readonly string[]): Set<string> {
  const found = new Set<string>();
  for (const file of sourceFiles(packageDir)) {
    const text = readFileSync(file, 'utf8');
    const paths = [...text.matchAll(RELATIVE_LITERAL)].map((match) => match[1] as string);
    for (const match of text.matchAll(JOINED_SEGMENTS)) {
      const segments = [...(match[1] as string).matchAll(/'([^']*)'/g)].map((segment) => segment[1] as string);
      paths.push(segments.join('/'));
    }
    for (const path of paths) {
      const target = resolve(dirname(file), path);
      const fromRoot = relative(root, target);
      if (fromRoot.startsWith('..') || fromRoot.split(sep)[0] === 'node_modules') continue;
      if (!existsSync(target) || !statSync(target).isFile()) continue;
      if (workspaceDirs.some((dir) => target === dir || target.startsWith(dir + sep))) continue;
      found.add(fromRoot.split(sep).join('/'));
    }
  }
  return found;
}

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) yield* sourceFiles(join(dir, entry.name));
    } else if (SCANNED.test(entry.name)) {
      yield join(dir, entry.name);
    }
  }
}
