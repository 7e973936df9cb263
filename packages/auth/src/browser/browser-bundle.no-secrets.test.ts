import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createBrowserAuth } from './browser-auth.ts';

const here = import.meta.dirname;

/** The browser entry's modules; never empty, or every check below would pass by looking at nothing. */
async function browserSources(): Promise<{ file: string; text: string }[]> {
  const files = (await readdir(here)).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  expect(files).toEqual(expect.arrayContaining(['index.ts', 'browser-auth.ts']));
  return Promise.all(files.map(async (file) => ({ file, text: await readFile(join(here, file), 'utf8') })));
}

describe('the browser entry holds no secret and pulls in no server code', () => {
  it('imports nothing from node:, other subpaths, or any configuration (it takes options)', async () => {
    for (const { file, text } of await browserSources()) {
      const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((m) => m[1]);
      for (const specifier of specifiers) {
        expect(specifier, `${file} imports ${specifier}`).not.toMatch(/^node:|^\.\.\/|^@org\/config|^@org\/auth\//);
      }
    }
  });

  it('never mentions a secret setting', async () => {
    for (const { text } of await browserSources()) {
      expect(text).not.toMatch(/CLIENT_SECRET|WEBHOOK_SECRET|SESSION_SECRET|_PASSWORD/);
    }
  });

  it('refuses a client secret passed in through the SDK options', () => {
    expect(() =>
      createBrowserAuth({
        baseUrl: 'http://localhost:8103/',
        clientId: 'c',
        clientOptions: { clientSecret: 'oops' } as never,
      })
    ).toThrow(/never takes a client secret/);
  });
});
