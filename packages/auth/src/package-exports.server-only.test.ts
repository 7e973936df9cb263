import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

describe('server-only subpaths cannot end up in a browser bundle', () => {
  it('every subpath but ./browser maps the browser condition to the unresolvable stub', async () => {
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
    const exportsMap = pkg.exports as Record<string, string | Record<string, string>>;
    expect(Object.keys(exportsMap).sort()).toEqual([
      './browser',
      './device',
      './ids',
      './provisioning',
      './server',
      './testing',
      './webhooks',
    ]);
    expect(exportsMap['./browser']).toBe('./src/browser/index.ts');
    // Constants only (ids.test.ts checks it imports nothing), so browser code may use it too.
    expect(exportsMap['./ids']).toBe('./src/ids.ts');
    for (const subpath of ['./server', './device', './webhooks', './provisioning', './testing']) {
      const entry = exportsMap[subpath] as Record<string, string>;
      expect(Object.keys(entry)[0]).toBe('browser');
      expect(entry.browser).toBe('./src/server-only.ts');
      expect(entry.default).toBe(`./src/${subpath.slice(2)}/index.ts`);
    }
  });

  it('the stub imports a specifier the package does not export', async () => {
    const stub = await readFile(join(root, 'src/server-only.ts'), 'utf8');
    const specifier = /import '([^']+)'/.exec(stub)?.[1] ?? '';
    expect(specifier.startsWith('@org/auth/')).toBe(true);
    await expect(import(specifier)).rejects.toThrow();
  });
});
