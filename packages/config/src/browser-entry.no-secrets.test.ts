import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { fieldInfo } from './fields.ts';
import { allSchemas, loadConfig } from './index.ts';

/** Every module `@org/config/browser` pulls in, following relative imports from browser.ts. */
function moduleGraph(entry: string, seen = new Set<string>()): Set<string> {
  if (seen.has(entry)) return seen;
  seen.add(entry);
  const source = readFileSync(entry, 'utf8');
  for (const [, specifier] of source.matchAll(/from '(\.[^']+)'/g))
    moduleGraph(join(dirname(entry), specifier ?? ''), seen);
  return seen;
}

describe('@org/config/browser', () => {
  it('pulls in no module that holds a secret, not even a public dev default', () => {
    const secrets = Object.values(allSchemas).flatMap((schema) => {
      const defaults = loadConfig(schema, { env: {}, envFiles: [] }) as Record<string, unknown>;
      return Object.entries(schema.shape)
        .filter(([, field]) => fieldInfo.get(field as z.ZodType)?.secret)
        .map(([variable]) => defaults[variable])
        .filter((value): value is string => typeof value === 'string');
    });
    expect(secrets.length).toBeGreaterThan(5);

    const modules = [...moduleGraph(join(import.meta.dirname, 'browser.ts'))];
    expect(modules.map((file) => file.slice(import.meta.dirname.length + 1)).sort()).toEqual([
      'browser-schema.ts',
      'browser.ts',
      'fields.ts',
      'parse.ts',
    ]);
    for (const file of modules) {
      const source = readFileSync(file, 'utf8');
      for (const value of secrets) expect(source, `${file} holds a secret`).not.toContain(value);
    }
  });
});
