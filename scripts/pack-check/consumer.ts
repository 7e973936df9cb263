import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import type { Manifest } from './manifest.ts';

/** A package as `pnpm pack` left it: the tarball, the files in it, and the manifest a consumer would install. */
export interface PackedPackage {
  name: string;
  tarball: string;
  files: string[];
  manifest: Manifest;
}

/** How Node resolved and loaded one specifier in the consumer. */
export interface Probe {
  specifier: string;
  resolved?: string;
  exportCount?: number;
  error?: string;
}

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Builds `dist` from scratch with the package's own `build` script (a stale file must not hide a missing one), then packs it. */
export function buildAndPack(packageDir: string, destination: string): PackedPackage {
  rmSync(join(packageDir, 'dist'), { recursive: true, force: true });
  run('pnpm', ['run', '--silent', 'build'], packageDir);
  const packed = JSON.parse(run('pnpm', ['pack', '--pack-destination', destination, '--json'], packageDir)) as {
    name: string;
    filename: string;
    files: { path: string }[];
  };
  const manifest = JSON.parse(run('tar', ['-xzOf', packed.filename, 'package/package.json'], destination)) as Manifest;
  return { name: packed.name, tarball: packed.filename, files: packed.files.map((file) => file.path), manifest };
}

/**
 * A throwaway application in `dir` that depends on the tarballs (all in `dir`) and on the peers at the given
 * versions. Overrides point every packed name at its tarball, so `@org/auth`'s dependency on `@org/config` is the
 * packed one and never a registry lookup of a name we do not own. Installs from pnpm's store when it can.
 */
export function installConsumer(dir: string, packed: PackedPackage[], peers: Record<string, string>): void {
  const tarballs = Object.fromEntries(packed.map((pkg) => [pkg.name, `file:./${basename(pkg.tarball)}`]));
  const manifest = {
    name: 'pack-check-consumer',
    private: true,
    type: 'module',
    dependencies: { ...tarballs, ...peers },
  };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  // JSON is YAML: no YAML writer needed for pnpm's settings file.
  writeFileSync(
    join(dir, 'pnpm-workspace.yaml'),
    JSON.stringify({ overrides: tarballs, strictPeerDependencies: true })
  );
  const offline = spawnSync('pnpm', ['install', '--offline'], { cwd: dir, encoding: 'utf8' });
  if (offline.status !== 0) run('pnpm', ['install', '--prefer-offline'], dir);
}

const PROBE = `
const results = [];
for (const specifier of JSON.parse(process.argv[1])) {
  const result = { specifier };
  try {
    result.resolved = import.meta.resolve(specifier);
    result.exportCount = Object.keys(await import(specifier)).length;
  } catch (error) {
    result.error = error.code ?? error.message;
  }
  results.push(result);
}
console.log(JSON.stringify(results));
`;

/** Resolves and imports each specifier in a fresh Node process in `dir`, with the given export conditions. */
export function probe(dir: string, specifiers: string[], conditions: string[] = []): Probe[] {
  const flags = conditions.map((condition) => `--conditions=${condition}`);
  const output = run(process.execPath, [...flags, '--input-type=module', '-e', PROBE, JSON.stringify(specifiers)], dir);
  return JSON.parse(output) as Probe[];
}

/** Type-checks an ESM TypeScript consumer that re-exports every specifier: the published `types` must resolve. */
export function typecheckConsumer(dir: string, specifiers: string[]): { ok: boolean; output: string } {
  const source = specifiers.map((specifier, index) => `export * as entry${index} from '${specifier}';`).join('\n');
  writeFileSync(join(dir, 'consumer.ts'), `${source}\n`);
  const compilerOptions = { module: 'nodenext', strict: true, noEmit: true, skipLibCheck: true, types: [] };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['consumer.ts'] }));
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', dir], { cwd: dir, encoding: 'utf8' });
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}`.trim() };
}

export function readManifest(packageDir: string): Manifest {
  return JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as Manifest;
}
