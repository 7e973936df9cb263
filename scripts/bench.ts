/**
 * `pnpm bench`: every figure measured side by side in one run on this machine, printed as one table — with a ratio
 * wherever there is a baseline — and written to bench-results/<time>.md (and bench-results/latest.md) so runs can be
 * compared over time. Each package's own bench script does the measuring (`--json FILE`); this only runs them one
 * after another, so they never compete for the two cores, and collects the figures. Nothing here asserts a threshold.
 *
 *   pnpm bench [--skip-dev]    (--skip-dev: leave out `pnpm dev` time to ready, e.g. while pnpm dev is running)
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const root = join(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'org-bench-'));
const { values: flags } = parseArgs({ options: { 'skip-dev': { type: 'boolean', default: false } } });

interface Row {
  figure: string;
  value: string;
  baseline: string;
  ratio: string;
}
const rows: Row[] = [];

/** Runs one package's bench script with `--json <file>` and returns what it wrote (or undefined if it failed). */
function runBench<T>(
  label: string,
  cwd: string,
  script: string,
  args: string[] = [],
  jsonOnStdout = false
): T | undefined {
  const out = join(work, `${label}.json`);
  process.stdout.write(`\n▶ ${label}\n`);
  const result = spawnSync(process.execPath, [script, ...args, ...(jsonOnStdout ? ['--json'] : ['--json', out])], {
    cwd: join(root, cwd),
    stdio: ['ignore', jsonOnStdout ? 'pipe' : 'inherit', 'inherit'],
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    process.stdout.write(`  ${label} failed (exit ${result.status}); its figures are left out.\n`);
    return undefined;
  }
  return JSON.parse(jsonOnStdout ? (result.stdout.trim().split('\n').at(-1) ?? '{}') : readFileSync(out, 'utf8')) as T;
}

const ms = (value: number) => `${value.toFixed(1)} ms`;
const times = (value: number) => `${value.toFixed(2)}×`;

const start = runBench<{ medianMs: number; runs: number }>(
  'emulator start time',
  'packages/medplum-emulator',
  'bench/start-time.ts'
);
if (start) {
  rows.push({
    figure: `emulator start time (median of ${start.runs})`,
    value: ms(start.medianMs),
    baseline: '',
    ratio: '',
  });
}

interface Latency {
  p50: number;
  p95: number;
}
const proxy = runBench<{ direct: Latency; proxied: Latency; tokenRequestsPer1000ProxiedCalls: number }>(
  'proxy vs direct read latency',
  'apps/proxy',
  'bench/latency.ts'
);
if (proxy) {
  for (const stat of ['p50', 'p95'] as const) {
    rows.push({
      figure: `read Patient/<id> latency ${stat}: via proxy vs direct`,
      value: ms(proxy.proxied[stat]),
      baseline: ms(proxy.direct[stat]),
      ratio: times(proxy.proxied[stat] / proxy.direct[stat]),
    });
  }
  rows.push({
    figure: 'token requests per 1,000 proxied calls',
    value: proxy.tokenRequestsPer1000ProxiedCalls.toFixed(1),
    baseline: '1000 (a login per call)',
    ratio: times(proxy.tokenRequestsPer1000ProxiedCalls / 1000),
  });
}

const tokens = runBench<{ calls: number; serviceClientRequests: number; naiveRequests: number }>(
  'token requests at expiry',
  'packages/auth',
  'bench/token-requests.ts'
);
if (tokens) {
  rows.push({
    figure: `token requests for ${tokens.calls} concurrent calls at expiry`,
    value: String(tokens.serviceClientRequests),
    baseline: `${tokens.naiveRequests} (a client per call)`,
    ratio: times(tokens.serviceClientRequests / tokens.naiveRequests),
  });
}

interface UploadRow {
  mode: string;
  results: number;
  ms: number;
}
const upload = runBench<{ rows: UploadRow[]; batch: number }>(
  'device upload throughput',
  'apps/device',
  'bench/upload-throughput.ts',
  [],
  true
);
const [single, batched] = upload?.rows ?? [];
if (single && batched) {
  const perSecond = (row: UploadRow) => row.results / (row.ms / 1000);
  rows.push({
    figure: `device upload: batched (≤ ${upload?.batch}/transaction) vs one by one`,
    value: `${perSecond(batched).toFixed(1)} results/s`,
    baseline: `${perSecond(single).toFixed(1)} results/s`,
    ratio: times(perSecond(batched) / perSecond(single)),
  });
}

/** `pnpm dev` from start to its banner, then stopped (needs its ports free). */
async function devTimeToReady(): Promise<number | undefined> {
  process.stdout.write('\n▶ pnpm dev time to ready\n');
  const child = spawn(process.execPath, ['scripts/dev.ts'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
    env: { ...process.env, EMULATOR_DATA_FILE: join(work, 'dev-emulator.json'), DEVICE_DATA_DIR: join(work, 'device') },
  });
  const started = performance.now();
  return new Promise((resolve) => {
    let output = '';
    const timer = setTimeout(() => finish(undefined), 120_000);
    function finish(seconds: number | undefined) {
      clearTimeout(timer);
      try {
        if (child.pid) process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      child.once('exit', () => resolve(seconds));
      if (child.exitCode !== null) resolve(seconds);
    }
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      if (output.includes('Everything is running')) finish((performance.now() - started) / 1000);
    });
    child.on('exit', () => {
      if (!output.includes('Everything is running')) {
        process.stdout.write('  pnpm dev did not get ready (ports busy?); its figure is left out.\n');
        resolve(undefined);
      }
    });
  });
}
if (!flags['skip-dev']) {
  const seconds = await devTimeToReady();
  if (seconds !== undefined)
    rows.push({ figure: '`pnpm dev` time to ready', value: `${seconds.toFixed(1)} s`, baseline: '', ratio: '' });
}

const header: Row = { figure: 'figure', value: 'measured', baseline: 'baseline', ratio: 'ratio' };
const keys = ['figure', 'value', 'baseline', 'ratio'] as const;
const widths = keys.map((key) => Math.max(...[header, ...rows].map((row) => row[key].length)));
const line = (row: Row) => `| ${keys.map((key, i) => row[key].padEnd(widths[i] ?? 0)).join(' | ')} |`;
const when = new Date().toISOString();
const table = [
  `# pnpm bench — ${when}`,
  '',
  `Node ${process.version}, ${process.platform}/${process.arch}; every figure measured in this one run, on this machine.`,
  '',
  line(header),
  `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`,
  ...rows.map(line),
  '',
].join('\n');

process.stdout.write(`\n${table}`);
const resultsDir = join(root, 'bench-results');
mkdirSync(resultsDir, { recursive: true });
const file = join(resultsDir, `${when.replaceAll(':', '-').slice(0, 19)}.md`);
writeFileSync(file, table);
writeFileSync(join(resultsDir, 'latest.md'), table);
process.stdout.write(`\nwritten to ${file} and bench-results/latest.md\n`);
rmSync(work, { recursive: true, force: true });
