import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CURRENT,
  defaultProjectName,
  defaultSystemBase,
  projectNameProblem,
  renamings,
  rewrite,
  scopeProblem,
  systemBaseProblem,
} from './plan.ts';

const acme = renamings({ scope: '@acme', systemBase: 'https://fhir.acme.example', projectName: 'Acme Health' });

describe('rename-scope plan', () => {
  it('accepts scopes npm accepts for new packages and names what is wrong with the others', () => {
    for (const scope of ['@acme', '@acme-health', '@a1.b']) expect(scopeProblem(scope), scope).toBeUndefined();
    expect(scopeProblem('acme')).toMatch(/not a scope/);
    expect(scopeProblem('@acme/auth')).toMatch(/not a scope/);
    expect(scopeProblem('@')).toMatch(/not a scope/);
    expect(scopeProblem('@Acme')).toMatch(/capital letters/);
    expect(scopeProblem('@ac me')).toMatch(/not a valid npm scope/);
    expect(scopeProblem("@acme's")).toMatch(/not a valid npm scope/);
    expect(scopeProblem('@.acme')).toMatch(/cannot start with a period/);
    expect(scopeProblem('@_acme')).toMatch(/cannot start with an underscore/);
  });

  it('rewrites the scope in names, quoted scopes and escaped regexes, and nothing that merely starts like it', () => {
    const source = `import '@org/auth/server'; scope: '@org'; /^@org\\/config$/; user@org.example; @organisation; org-medplum-toolchain`;
    const result = rewrite(source, acme);
    expect(result.text).toBe(
      `import '@acme/auth/server'; scope: '@acme'; /^@acme\\/config$/; user@org.example; @organisation; org-medplum-toolchain`
    );
    expect(result.counts).toEqual([3, 0, 0]);
  });

  it('rewrites the identifier systems and the project name, counting each', () => {
    const source = `'https://reference.org.example/fhir/device' \`https://reference.org.example/fhir/device-result/\${id}\` 'Org Medplum Reference'`;
    const result = rewrite(source, acme);
    expect(result.text).toBe(
      `'https://fhir.acme.example/fhir/device' \`https://fhir.acme.example/fhir/device-result/\${id}\` 'Acme Health'`
    );
    expect(result.counts).toEqual([0, 2, 1]);
  });

  it('rewrites its own names too, so a renamed copy starts from the new ones', () => {
    const renamed = rewrite(readFileSync(join(import.meta.dirname, 'plan.ts'), 'utf8'), acme).text;
    expect(renamed).toContain(`scope: '@acme',`);
    expect(renamed).toContain(`systemBase: 'https://fhir.acme.example',`);
    expect(renamed).toContain(`projectName: 'Acme Health',`);
    expect(CURRENT.scope).toBe('@org');
  });

  it('derives a reserved .example base and a readable project name from the scope', () => {
    expect(defaultSystemBase('@acme-health')).toBe('https://acme-health.example');
    expect(defaultSystemBase('@a.b_c')).toBe('https://a-b-c.example');
    expect(defaultProjectName('@acme-health')).toBe('Acme Health');
    expect(projectNameProblem(defaultProjectName('@a.b_c'))).toBeUndefined();
  });

  it('refuses system bases and project names that would not fit where they are written', () => {
    expect(systemBaseProblem('https://fhir.acme.com')).toBeUndefined();
    for (const base of ['https://fhir.acme.com/', 'fhir.acme.com', 'ftp://acme.com', 'https://acme.com?x=1']) {
      expect(systemBaseProblem(base), base).toMatch(/not a base URL/);
    }
    expect(projectNameProblem('Acme Health (EU) & Co.')).toBeUndefined();
    for (const name of ["Acme's", 'Acme`', 'Acme\\', '', ' Acme']) expect(projectNameProblem(name), name).toBeDefined();
  });
});
