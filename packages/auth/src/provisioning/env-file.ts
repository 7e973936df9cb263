import { readFile, writeFile } from 'node:fs/promises';

const KEY = /^[A-Z_][A-Z0-9_]*$/;

function quote(value: string): string {
  if (/[\r\n]/.test(value)) throw new Error('env values cannot contain line breaks');
  return /^[A-Za-z0-9_./:@+-]*$/.test(value) ? value : `'${value.replaceAll("'", '')}'`;
}

/**
 * Sets `values` in a dotenv file (creating it, mode 0600), replacing existing assignments and keeping every other
 * line. Returns the names written, so callers can say what changed without echoing a value.
 */
export async function updateEnvFile(path: string, values: Record<string, string>): Promise<string[]> {
  for (const key of Object.keys(values)) if (!KEY.test(key)) throw new Error(`invalid variable name ${key}`);
  let lines: string[] = [];
  try {
    lines = (await readFile(path, 'utf8')).split('\n');
    if (lines.at(-1) === '') lines.pop();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const pending = new Map(Object.entries(values));
  const out = lines.map((line) => {
    const match = /^\s*(?:export\s+)?([A-Z_][A-Z0-9_]*)\s*=/.exec(line);
    const key = match?.[1];
    if (key && pending.has(key)) {
      const value = pending.get(key) ?? '';
      pending.delete(key);
      return `${key}=${quote(value)}`;
    }
    return line;
  });
  for (const [key, value] of pending) out.push(`${key}=${quote(value)}`);
  await writeFile(path, `${out.join('\n')}\n`, { mode: 0o600 });
  return Object.keys(values);
}
