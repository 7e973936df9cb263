/**
 * What a team that installs `@org/auth` and `@org/config` from a registry would get. Builds each package's `dist`, packs it with `pnpm pack` (which applies `publishConfig` and turns `workspace:`/`catalog:` into
 * versions), installs the tarballs into a throwaway application next to the peers, then, in fresh Node processes,
 * imports every published entry, checks that the `browser` condition of every server-only entry resolves to the guard
 * (and that the guard fails to load), and type-checks a TypeScript consumer of every entry.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildAndPack,
  installConsumer,
  type PackedPackage,
  type Probe,
  probe,
  readManifest,
  typecheckConsumer,
} from './consumer.ts';
import { type Manifest, manifestProblems, type PublishedEntry, publishedEntries } from './manifest.ts';

const root = join(import.meta.dirname, '..', '..');
export const PUBLISHABLE = ['packages/config', 'packages/auth'];

export interface PackCheckResult {
  /** Manifests as committed (exports → src, publishConfig.exports → dist). */
  workspace: Manifest[];
  packed: PackedPackage[];
  entries: PublishedEntry[];
  /** One per entry, same order, without export conditions (Node: `node`, `import`, `default`). */
  plain: Probe[];
  /** One per entry, same order, under the `browser` condition, as a bundler resolves for a browser build. */
  browser: Probe[];
  typecheck: { ok: boolean; output: string };
}

/** Peers at the version the workspace itself installs and tests with (the catalog's). */
function peerVersions(packageDirs: string[], packed: PackedPackage[]): Record<string, string> {
  const peers: Record<string, string> = {};
  packed.forEach((pkg, index) => {
    for (const [name, range] of Object.entries(pkg.manifest.peerDependencies ?? {})) {
      const installed = join(root, packageDirs[index] as string, 'node_modules', name, 'package.json');
      peers[name] = existsSync(installed)
        ? (JSON.parse(readFileSync(installed, 'utf8')) as Manifest & { version: string }).version
        : range;
    }
  });
  return peers;
}

/**
 * Runtime dependencies on packages of our own scope that are not packed here: installing them would ask the registry
 * for a name under a placeholder scope someone else may own, so the check stops before installing instead.
 */
function unpackedScopeDependencies(packed: PackedPackage[]): string[] {
  const names = new Set(packed.map((pkg) => pkg.name));
  const scope = `${packed[0]?.name.split('/')[0]}/`;
  return packed.flatMap((pkg) =>
    Object.keys({ ...pkg.manifest.dependencies, ...pkg.manifest.peerDependencies })
      .filter((dependency) => dependency.startsWith(scope) && !names.has(dependency))
      .map((dependency) => `${pkg.name} depends on ${dependency}, which is not published`)
  );
}

export function packCheck(workDir: string, packageDirs: string[] = PUBLISHABLE): PackCheckResult {
  const workspace = packageDirs.map((dir) => readManifest(join(root, dir)));
  const packed = packageDirs.map((dir) => buildAndPack(join(root, dir), workDir));
  const unpacked = unpackedScopeDependencies(packed);
  if (unpacked.length > 0) throw new Error(unpacked.join('\n'));
  installConsumer(workDir, packed, peerVersions(packageDirs, packed));
  const entries = workspace.flatMap(publishedEntries);
  const specifiers = entries.map((entry) => entry.specifier);
  return {
    workspace,
    packed,
    entries,
    plain: probe(workDir, specifiers),
    browser: probe(workDir, specifiers, ['browser']),
    typecheck: typecheckConsumer(workDir, specifiers),
  };
}

function entryProblems(entry: PublishedEntry, plain: Probe, browser: Probe): string[] {
  const problems: string[] = [];
  if (plain.error !== undefined) problems.push(`${entry.specifier} fails to import from the tarball: ${plain.error}`);
  if (entry.browserGuard === undefined) {
    if (browser.resolved !== plain.resolved) problems.push(`${entry.specifier} resolves elsewhere under "browser"`);
    return problems;
  }
  const packageName = entry.specifier.split('/').slice(0, 2).join('/');
  if (!browser.resolved?.endsWith(`/node_modules/${packageName}/${entry.browserGuard.slice(2)}`)) {
    problems.push(`${entry.specifier} under "browser" resolves to ${browser.resolved}, not the server-only guard`);
  } else if (browser.error === undefined) {
    problems.push(`${entry.specifier} under "browser" loads: the guard no longer fails a browser build`);
  }
  return problems;
}

function tarballProblems(pkg: PackedPackage): string[] {
  const targets = Object.values(pkg.manifest.exports ?? {}).flatMap((target) =>
    typeof target === 'string' ? [target] : Object.values(target)
  );
  return [
    ...targets
      .filter((target) => !pkg.files.includes(target.slice(2)))
      .map((t) => `${pkg.name}: ${t} is not in the tarball`),
    ...pkg.files
      .filter((file) => /\.test\.|\.spec\./.test(file))
      .map((file) => `${pkg.name}: the tarball ships ${file}`),
  ];
}

/** Every broken promise the check found; empty when a registry consumer would get what the workspace has. */
export function packCheckProblems(result: PackCheckResult): string[] {
  return [
    ...result.workspace.flatMap(manifestProblems),
    ...result.packed.flatMap(tarballProblems),
    ...result.entries.flatMap((entry, index) =>
      entryProblems(entry, result.plain[index] as Probe, result.browser[index] as Probe)
    ),
    ...(result.typecheck.ok
      ? []
      : [`a TypeScript consumer of every entry does not type-check:\n${result.typecheck.output}`]),
  ];
}
