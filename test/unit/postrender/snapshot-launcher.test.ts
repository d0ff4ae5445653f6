/**
 * bin/kafka-warden-post-renderer, Helm 3's executable: it renders from the startup snapshot when
 * Node can use it, from the bundle when it cannot, and finds its files when reached by a symlink.
 */
import { spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT, sharedDir } from '../../support/paths';
import { POST_RENDERER, runCli, runPostRenderer } from '../../support/run-cli';

const input = readFileSync(
  path.join(sharedDir(), 'cp-helm-charts', 'rendered', '0.6.1', 'default.yaml'),
  'utf8',
);
const expected = runCli(['render'], input);

/** A copy of the launcher with only the given files of dist/ beside it. */
function installation(distFiles: string[]): string {
  const root = mkdtempSync(path.join(tmpdir(), 'kw-launcher-'));
  mkdirSync(path.join(root, 'bin'));
  mkdirSync(path.join(root, 'dist'));
  for (const file of ['kafka-warden', 'kafka-warden-post-renderer', 'run-bundle.js'])
    copyFileSync(path.join(REPO_ROOT, 'bin', file), path.join(root, 'bin', file));
  for (const file of distFiles)
    copyFileSync(path.join(REPO_ROOT, 'dist', file), path.join(root, 'dist', file));
  return path.join(root, 'bin', 'kafka-warden-post-renderer');
}

describe('the post-renderer launcher', () => {
  test('renders from the snapshot alone: the bundle is not needed', () => {
    const launcher = installation(['post-renderer.blob']);
    expect(runPostRenderer([], input, {}, launcher)).toEqual(expected);
  });

  test('falls back to the bundle when Node refuses the snapshot (NODE_OPTIONS that change V8 flags)', () => {
    const launcher = installation([
      'post-renderer.blob',
      'kafka-warden.js',
      'kafka-warden.js.cache',
    ]);
    const result = runPostRenderer(
      [],
      input,
      { NODE_OPTIONS: '--max-old-space-size=300' },
      launcher,
    );
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(expected.stdout);
    // Node's own line about the snapshot; the render itself says nothing.
    expect(result.stderr).toMatch(/^Failed to load the startup snapshot[^\n]*\n[^\n]*\n$/);
  });

  test('renders from the bundle when there is no snapshot', () => {
    const launcher = installation(['kafka-warden.js', 'kafka-warden.js.cache']);
    expect(runPostRenderer([], input, {}, launcher)).toEqual(expected);
  });

  test('finds its files when reached through symlinks, as from a bin directory on PATH', () => {
    const launcher = installation(['post-renderer.blob']);
    const dir = mkdtempSync(path.join(tmpdir(), 'kw-link-'));
    const absolute = path.join(dir, 'absolute');
    symlinkSync(launcher, absolute);
    // A relative link to the absolute one: the chain is followed link by link.
    const relative = path.join(dir, 'kafka-warden-post-renderer');
    symlinkSync('absolute', relative);
    expect(runPostRenderer([], input, {}, relative)).toEqual(expected);
  });

  test('passes a TERM on to Node: a stopped post-renderer leaves no Node behind', async () => {
    // stdin stays open, so Node waits for the release until it is told to stop.
    const launcher = spawn(POST_RENDERER, [], { stdio: ['pipe', 'ignore', 'ignore'] });
    const children = `/proc/${launcher.pid}/task/${launcher.pid}/children`;
    let node: number | undefined;
    for (let tries = 0; tries < 100 && node === undefined; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      node = Number(readFileSync(children, 'utf8').trim().split(' ')[0]) || undefined;
    }
    expect(node).toBeDefined();
    const exited = new Promise<number | null>((resolve) => launcher.on('exit', resolve));
    launcher.kill('SIGTERM');
    // sh exits with 128 + the signal's number when its child ended by it.
    expect(await exited).toBe(143);
    for (let tries = 0; tries < 50 && existsSync(`/proc/${node}`); tries++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(existsSync(`/proc/${node}`)).toBe(false);
    launcher.stdin.destroy();
  });

  test('passes arguments that look like Node options to render', () => {
    const result = runPostRenderer(['--help'], '');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('usage: kafka-warden render');
  });
});
