/**
 * What a publishable package's manifest promises about its entries. In the workspace `exports` points at `./src`;
 * `pnpm pack` swaps in `publishConfig.exports`, which points at the built `./dist`. Both maps must offer the same
 * subpaths, and a subpath whose workspace entry sends the `browser` condition to the server-only guard must do the same
 * once published — or a browser bundle of an application that installs the package from the registry silently
 * bundles server code (secrets handling included) instead of failing to build.
 */

type Conditions = Record<string, string>;
type ExportsMap = Record<string, string | Conditions>;

export interface Manifest {
  name: string;
  exports?: ExportsMap;
  publishConfig?: { exports?: ExportsMap };
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/** One published subpath, as a consumer imports it. */
export interface PublishedEntry {
  /** e.g. `@org/auth/server` */
  specifier: string;
  /** The published `browser` target (the guard) when the entry is server-only, else undefined. */
  browserGuard: string | undefined;
}

/** `./src/server-only.ts` → `./dist/server-only.js`, as tsconfig.build.json (`rootDir: src`, `outDir: dist`) emits it. */
export function builtPath(sourcePath: string): string {
  return sourcePath.replace(/^\.\/src\//, './dist/').replace(/\.tsx?$/, '.js');
}

export function publishedEntries(manifest: Manifest): PublishedEntry[] {
  return Object.entries(manifest.publishConfig?.exports ?? {}).map(([subpath, target]) => ({
    specifier: subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`,
    browserGuard: typeof target === 'string' ? undefined : target.browser,
  }));
}

/** Every way the published exports break a promise of the workspace exports; empty when none does. */
export function manifestProblems(manifest: Manifest): string[] {
  const workspace = manifest.exports ?? {};
  const published = manifest.publishConfig?.exports;
  if (!published) return [`${manifest.name}: no publishConfig.exports, so the package would publish ./src paths`];
  const problems: string[] = [];
  for (const subpath of Object.keys(published)) {
    if (!(subpath in workspace)) problems.push(`${manifest.name}: ${subpath} is published but not a workspace export`);
  }
  for (const [subpath, target] of Object.entries(workspace)) {
    const publishedTarget = published[subpath];
    if (publishedTarget === undefined) {
      problems.push(`${manifest.name}: ${subpath} is a workspace export missing from publishConfig.exports`);
      continue;
    }
    const guard = typeof target === 'string' ? undefined : target.browser;
    if (guard === undefined) continue;
    // Conditions are matched in key order: `browser` must come before `import`/`default` to win in a bundler.
    const first = typeof publishedTarget === 'string' ? undefined : Object.entries(publishedTarget)[0];
    if (first?.[0] !== 'browser' || first[1] !== builtPath(guard)) {
      problems.push(
        `${manifest.name}: ${subpath} is server-only in the workspace (browser → ${guard}) but its published entry does not start with "browser": "${builtPath(guard)}"`
      );
    }
  }
  return problems;
}
