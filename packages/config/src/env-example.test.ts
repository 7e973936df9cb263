import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { fieldInfo } from './fields.ts';
import { allSchemas, loadConfig } from './index.ts';

const envExample = readFileSync(join(import.meta.dirname, '../../../.env.example'), 'utf8');
const configReadme = readFileSync(join(import.meta.dirname, '../README.md'), 'utf8');
const turbo = JSON.parse(readFileSync(join(import.meta.dirname, '../../../turbo.json'), 'utf8')) as {
  globalEnv: string[];
};
const allFields = Object.values(allSchemas).flatMap((schema) => Object.entries(schema.shape));

describe('.env.example', () => {
  it('lists every variable of every schema, each with a comment above it', () => {
    const lines = envExample.split('\n');
    for (const [variable] of allFields) {
      const index = lines.findIndex((line) => new RegExp(`^#? ?${variable}=`).test(line));
      expect(index, `${variable} is missing from .env.example`).toBeGreaterThan(0);
      expect(lines[index - 1], `${variable} needs a comment`).toMatch(/^#/);
    }
  });

  it('names no variable the schemas do not know', () => {
    const known = new Set(allFields.map(([variable]) => variable));
    expect(Object.keys(parseEnv(envExample)).filter((variable) => !known.has(variable))).toEqual([]);
  });

  it('holds exactly the built-in defaults, so a fresh clone needs no editing', () => {
    const fromExample = parseEnv(envExample);
    for (const schema of Object.values(allSchemas)) {
      expect(loadConfig(schema, { env: fromExample, envFiles: [] })).toEqual(
        loadConfig(schema, { env: {}, envFiles: [] })
      );
    }
  });
});

describe('the README', () => {
  it('names every variable of every schema in its table', () => {
    const unnamed = allFields
      .map(([variable]) => variable)
      .filter((variable) => !configReadme.includes(`\`${variable}\``));
    expect(unnamed).toEqual([]);
  });
});

describe('turbo.json', () => {
  it('declares every variable of every schema (strict env mode hides undeclared ones from the tasks)', () => {
    const undeclared = allFields
      .map(([variable]) => variable)
      .filter((variable) => !turbo.globalEnv.includes(variable));
    expect(undeclared).toEqual([]);
  });
});

describe('browser-safe schema', () => {
  it('has only NEXT_PUBLIC_ variables and no secret; every secret is server-only', () => {
    for (const [variable, field] of Object.entries(allSchemas.web.shape)) {
      expect(variable).toMatch(/^NEXT_PUBLIC_/);
      expect(fieldInfo.get(field as z.ZodType)?.secret).not.toBe(true);
    }
    for (const [variable, field] of allFields) {
      if (fieldInfo.get(field as z.ZodType)?.secret) expect(variable).not.toMatch(/^NEXT_PUBLIC_/);
    }
  });

  it('documents every variable (description and example)', () => {
    for (const [variable, field] of allFields) {
      const info = fieldInfo.get(field as z.ZodType);
      expect(info?.description, variable).toBeTruthy();
      expect(info?.example, variable).toBeTruthy();
    }
  });
});
