import validatePackageName from 'validate-npm-package-name';

/**
 * The names this copy of the repository goes by. rename-scope rewrites these very literals along with the rest of the
 * tree, so after a rename they name the new scope and a second rename starts from there.
 */
export const CURRENT = {
  scope: '@org',
  /** Base of every identifier and tag system the auth model writes (`<base>/fhir/device`, …; see src/ids.ts). */
  systemBase: 'https://reference.org.example',
  /** Name of the Medplum Project the auth model provisions. */
  projectName: 'Org Medplum Reference',
} as const;

export interface RenameOptions {
  scope: string;
  systemBase: string;
  projectName: string;
}

/** One literal rewrite across the tree. */
export interface Renaming {
  what: string;
  from: string;
  pattern: RegExp;
  replacement: string;
}

const literalPattern = (literal: string) => literal.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * npm's rules for new package names, applied to `<scope>/auth` and to the bare scope name (the library checks special
 * characters and a leading `.` or `_` on the last segment only, and a quote in the scope would break string literals).
 * A scope named after a Node core module (`@http`) is refused too: rare, and the library does not tell it apart.
 */
export function scopeProblem(scope: string): string | undefined {
  if (!/^@[^/@]+$/.test(scope)) return `"${scope}" is not a scope: write it as @name`;
  const issues = [validatePackageName(`${scope}/auth`), validatePackageName(scope.slice(1))]
    .filter((result) => !result.validForNewPackages)
    .flatMap((result) => [...(result.errors ?? []), ...(result.warnings ?? [])]);
  return issues.length === 0 ? undefined : `"${scope}" is not a valid npm scope: ${[...new Set(issues)].join('; ')}`;
}

/** `@acme-health` → `https://acme-health.example`: the reserved `.example` TLD, so no one else's domain is claimed. */
export function defaultSystemBase(scope: string): string {
  return `https://${scope.slice(1).replace(/[^a-z0-9-]+/g, '-')}.example`;
}

/** `@acme-health` → `Acme Health`. */
export function defaultProjectName(scope: string): string {
  return scope
    .slice(1)
    .split(/[^a-z0-9]+/)
    .filter(Boolean)
    .map((word) => word[0]?.toUpperCase() + word.slice(1))
    .join(' ');
}

/** An absolute http(s) URL without query, fragment or trailing slash (systems are `<base>/fhir/...`). */
export function systemBaseProblem(base: string): string | undefined {
  const url = URL.parse(base);
  if (!url || !/^https?:$/.test(url.protocol) || url.search || url.hash || base.endsWith('/')) {
    return `"${base}" is not a base URL for identifier systems: use e.g. https://fhir.example.com (no trailing slash)`;
  }
  return undefined;
}

/** Goes into string literals of code and JSON as is: letters, digits, spaces and `-.,&()` only. */
export function projectNameProblem(name: string): string | undefined {
  if (/^[\p{L}\p{N}][\p{L}\p{N} .,&()-]*$/u.test(name)) return undefined;
  return `"${name}" is not a usable project name: letters, digits, spaces and -.,&() only`;
}

export function renamings(options: RenameOptions): Renaming[] {
  return [
    {
      what: 'scope',
      from: CURRENT.scope,
      // `@org/auth`, `'@org'`, and the regex-escaped `@org\/auth` in tests; not `@org.example` nor `@organisation`.
      pattern: new RegExp(`${literalPattern(CURRENT.scope)}(?![\\w.~-])`, 'g'),
      replacement: options.scope,
    },
    {
      what: 'identifier systems',
      from: CURRENT.systemBase,
      pattern: new RegExp(literalPattern(CURRENT.systemBase), 'g'),
      replacement: options.systemBase,
    },
    {
      what: 'project name',
      from: CURRENT.projectName,
      pattern: new RegExp(literalPattern(CURRENT.projectName), 'g'),
      replacement: options.projectName,
    },
  ];
}

/** The rewritten text and how many times each renaming applied. */
export function rewrite(text: string, plan: Renaming[]): { text: string; counts: number[] } {
  const counts = plan.map(() => 0);
  let result = text;
  plan.forEach((renaming, index) => {
    result = result.replace(renaming.pattern, () => {
      counts[index] = (counts[index] ?? 0) + 1;
      return renaming.replacement;
    });
  });
  return { text: result, counts };
}
