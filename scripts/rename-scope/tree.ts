import { execFileSync } from 'node:child_process';
import { lstatSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Renaming, rewrite } from './plan.ts';

const git = (root: string, args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' });

/** The work tree `cwd` belongs to; throws outside a git repository (there would be no way back). */
export function gitRoot(cwd: string): string {
  return git(cwd, ['rev-parse', '--show-toplevel']).trim();
}

/** `git status --porcelain`: modified, staged and untracked paths; empty when `git restore .` can undo a rename. */
export function uncommittedChanges(root: string): string[] {
  return git(root, ['status', '--porcelain']).split('\n').filter(Boolean);
}

export interface FileChange {
  file: string;
  /** Replacements per renaming, in plan order. */
  counts: number[];
}

/**
 * Applies the plan to every tracked text file (binary files and symlinks are left alone); with `write: false` only
 * counts. Untracked and ignored files (node_modules, dist, .env) are never touched.
 */
export function rewriteTree(root: string, plan: Renaming[], write: boolean): FileChange[] {
  const changes: FileChange[] = [];
  for (const file of git(root, ['ls-files', '-z']).split('\0').filter(Boolean)) {
    const path = join(root, file);
    if (lstatSync(path, { throwIfNoEntry: false })?.isFile() !== true) continue;
    const bytes = readFileSync(path);
    if (bytes.includes(0)) continue;
    const result = rewrite(bytes.toString('utf8'), plan);
    if (result.counts.every((count) => count === 0)) continue;
    if (write) writeFileSync(path, result.text);
    changes.push({ file, counts: result.counts });
  }
  return changes;
}
