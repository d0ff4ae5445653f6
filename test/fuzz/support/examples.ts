import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../support/paths';

/** The ```yaml blocks of a Markdown file of the repository. */
export function yamlBlocks(file: string): string[] {
  const text = readFileSync(path.join(REPO_ROOT, file), 'utf8');
  return [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] as string);
}

/** docs/policy.md's example policy (the block after its `<!-- example-policy -->` marker). */
export function examplePolicyText(): string {
  const text = readFileSync(path.join(REPO_ROOT, 'docs', 'policy.md'), 'utf8');
  const block = /<!-- example-policy -->\n```yaml\n([\s\S]*?)```/.exec(text)?.[1];
  if (!block) throw new Error('docs/policy.md has no example policy after <!-- example-policy -->');
  return block;
}
