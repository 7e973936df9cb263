import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * The source files under `dir` (not tests, not test-support folders) whose imports match `specifier`, relative to
 * `dir`: how a package's own test proves that `@org/auth/testing` stays out of the code it ships.
 */
export function sourcesImporting(dir: string, specifier: RegExp): string[] {
  const importing: string[] = [];
  const visit = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'testing' && entry.name !== 'node_modules') visit(path);
      } else if (/\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name)) {
        const imports = readFileSync(path, 'utf8').matchAll(
          /\bfrom\s+['"]([^'"]+)['"]|\bimport\s*\(?\s*['"]([^'"]+)['"]/g
        );
        if ([...imports].some((match) => specifier.test(match[1] ?? match[2] ?? '')))
          importing.push(relative(dir, path));
      }
    }
  };
  visit(dir);
  return importing.sort();
}
