/**
 * apps/web is browser code: it may import `@org/auth/browser` and `@org/config/browser`, never the server-side
 * entries (`@org/auth/server`, `/device`, `/provisioning`, `/webhooks`, `@org/config`), unless the file is a server
 * module guarded by `import 'server-only'` (which makes Next fail the build if a client component imports it).
 * Biome's noRestrictedImports (apps/web/biome.json) says the same in the editor; this test is the CI guarantee.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const appDir = join(import.meta.dirname, '..', '..');
const SERVER_ONLY_ENTRIES = /from\s+['"](@org\/auth\/(server|device|provisioning|webhooks)|@org\/config)['"]/;
const SECRET_NAMES = /\b[A-Z_]*(CLIENT_SECRET|SESSION_SECRET|WEBHOOK_SECRET|WEBHOOK_PASSWORD|_PASSWORD)\b/;

function* sources(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* sources(path);
    else if (/\.(ts|tsx)$/.test(name) && !/\.test\.tsx?$/.test(name)) yield path;
  }
}

describe('browser code in apps/web', () => {
  const files = [...sources(join(appDir, 'src'))];

  it('has sources to check', () => {
    expect(files.length).toBeGreaterThan(5);
  });

  it('never imports a server-side entry of @org/auth or @org/config outside a server-only module', () => {
    const offenders = files.filter((file) => {
      const source = readFileSync(file, 'utf8');
      return SERVER_ONLY_ENTRIES.test(source) && !/^import ['"]server-only['"];/m.test(source);
    });
    expect(offenders.map((file) => relative(appDir, file))).toEqual([]);
  });

  it('never names a server secret', () => {
    const offenders = files.filter((file) => SECRET_NAMES.test(readFileSync(file, 'utf8')));
    expect(offenders.map((file) => relative(appDir, file))).toEqual([]);
  });

  it('reads configuration in one place (src/env.ts)', () => {
    const offenders = files.filter(
      (file) => !file.endsWith(join('src', 'env.ts')) && /process\.env/.test(readFileSync(file, 'utf8'))
    );
    expect(offenders.map((file) => relative(appDir, file))).toEqual([]);
  });
});
