/**
 * The Dockerfile without a Docker engine: its instructions are parsed and checked (stages, user,
 * entrypoint, health check, production dependencies only), then replayed in temp dirs — every
 * COPY as written, every RUN through a table of known commands — and the image's entrypoint is
 * started from the assembled runtime file system: `--version`, `serve --help`, and a `serve` that
 * answers the image's own HEALTHCHECK on /healthz.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../support/paths';

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}
interface Stage {
  name: string;
  from: string;
  instructions: Instruction[];
}

/** Dockerfile instructions by stage (comments dropped, `\` continuations joined). */
function parseDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i] ?? '';
    if (/^\s*(#|$)/.test(line)) continue;
    while (line.endsWith('\\') && i + 1 < lines.length)
      line = `${line.slice(0, -1)} ${lines[++i]?.trim() ?? ''}`;
    const match = /^\s*(\w+)\s+(.*)$/.exec(line);
    if (!match)
      throw new Error(`Dockerfile line ${start + 1}: cannot parse ${JSON.stringify(line)}`);
    const keyword = (match[1] ?? '').toUpperCase();
    const rest = (match[2] ?? '').trim();
    if (keyword === 'FROM') {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest);
      stages.push({
        from: from?.[1] ?? '',
        name: from?.[2] ?? `stage-${stages.length}`,
        instructions: [],
      });
    } else if (keyword === 'ARG' && stages.length === 0) {
      const [key, value] = rest.split('=');
      args[key ?? ''] = value ?? '';
    } else {
      const stage = stages.at(-1);
      if (!stage) throw new Error(`Dockerfile line ${start + 1}: ${keyword} before FROM`);
      stage.instructions.push({ keyword, args: rest, line: start + 1 });
    }
  }
  return { args, stages };
}

const dockerfile = parseDockerfile(readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8'));
const stages = dockerfile.stages;
const runtime = stages.at(-1) as Stage;
const all = (stage: Stage, keyword: string) =>
  stage.instructions.filter((i) => i.keyword === keyword);
const one = (stage: Stage, keyword: string) => {
  const found = all(stage, keyword);
  expect(found).toHaveLength(1);
  return found[0] as Instruction;
};
const stageNamed = (name: string) => {
  const stage = stages.find((s) => s.name === name);
  if (!stage) throw new Error(`no stage ${name}`);
  return stage;
};
/** COPY [--from=stage] src... dest */
function copyParts(instruction: Instruction): { from?: string; sources: string[]; dest: string } {
  const words = instruction.args.split(/\s+/);
  const from = words[0]?.startsWith('--from=') ? words.shift()?.slice('--from='.length) : undefined;
  const dest = words.pop() ?? '';
  return { ...(from ? { from } : {}), sources: words, dest };
}

describe('Dockerfile', () => {
  it('has a build stage and runs on a small Node 20 base, the same image in every stage', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(stages[0]?.name).toBe('build');
    const image = dockerfile.args.NODE_IMAGE ?? '';
    expect(image).toMatch(/^(node:20-bookworm-slim|gcr\.io\/distroless\/nodejs20)/);
    // The V8 code cache is only valid on the Node that made it.
    for (const stage of stages) expect(stage.from).toBe('${NODE_IMAGE}');
  });

  it('builds with every dependency and the build script', () => {
    const runs = all(stageNamed('build'), 'RUN').map((r) => r.args);
    expect(runs).toContain('npm ci --no-audit --no-fund');
    expect(runs).toContain('node scripts/build.mjs');
  });

  it('ships production dependencies only, installed in their own stage', () => {
    const copies = all(runtime, 'COPY').map(copyParts);
    const modules = copies.filter((c) => c.dest.startsWith('node_modules'));
    expect(modules).toHaveLength(1);
    const depsStage = stageNamed(modules[0]?.from ?? '');
    const installs = all(depsStage, 'RUN').filter((r) => /npm (ci|install)/.test(r.args));
    expect(installs).toHaveLength(1);
    expect(installs[0]?.args).toMatch(/npm ci --omit=dev\b/);
    // Nothing else from the build stage than the bundle, its code cache and licences.
    const fromBuild = copies.filter((c) => c.from === 'build').flatMap((c) => c.sources);
    expect(fromBuild.every((s) => s.startsWith('/src/dist/kafka-warden.js'))).toBe(true);
    expect(all(runtime, 'RUN').some((r) => /npm (ci|install)/.test(r.args))).toBe(false);
  });

  it('runs as 65532, never root', () => {
    const users = all(runtime, 'USER').map((u) => u.args);
    expect(users.at(-1)).toBe('65532:65532');
    expect(users.some((u) => /^(root|0)(:|$)/.test(u))).toBe(false);
  });

  it('starts `node bin/kafka-warden serve`, exposes 8443 and checks /healthz like the chart', () => {
    expect(JSON.parse(one(runtime, 'ENTRYPOINT').args)).toEqual(['node', '/app/bin/kafka-warden']);
    expect(JSON.parse(one(runtime, 'CMD').args)).toEqual(['serve']);
    expect(one(runtime, 'EXPOSE').args).toBe('8443');
    const check = one(runtime, 'HEALTHCHECK').args;
    expect(check).toContain("path:'/healthz'");
    expect(check).toContain('rejectUnauthorized:false');
    expect(check).toContain('8443');
  });

  it('COPYs only files that exist and that .dockerignore lets into the context', () => {
    const ignored = readFileSync(path.join(REPO_ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    const contextSources = stages
      .flatMap((s) => all(s, 'COPY').map(copyParts))
      .filter((c) => !c.from)
      .flatMap((c) => c.sources);
    for (const source of contextSources) {
      expect(existsSync(path.join(REPO_ROOT, source))).toBe(true);
      const top = source.split('/')[0] ?? '';
      expect(ignored).not.toContain(top);
      expect(ignored).not.toContain(source);
    }
  });
});

// ------------------------------------------------------------------------------ the replay

/**
 * How each RUN is replayed on this machine. The build's `npm ci` is the repository's own
 * node_modules (same lock file); the production install runs for real, from npm's cache when it
 * can; what only touches the base image (removing npm) or npm's cache is skipped.
 */
function replayRun(stage: Stage, command: string, root: string, workdir: string): void {
  const cwd = path.join(root, workdir);
  if (command === 'npm ci --no-audit --no-fund') {
    symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(cwd, 'node_modules'));
  } else if (command === 'node scripts/build.mjs') {
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd, stdio: 'pipe' });
  } else if (command.startsWith('npm ci --omit=dev')) {
    const install = command.split('&&')[0]?.trim().split(/\s+/).slice(1) ?? [];
    const offline = spawnSync('npm', [...install, '--offline'], { cwd, encoding: 'utf8' });
    if (offline.status !== 0)
      execFileSync('npm', [...install, '--prefer-offline'], { cwd, stdio: 'pipe' });
  } else if (command.startsWith('rm -rf /usr/local/')) {
    // The base image's npm and yarn: nothing of ours.
  } else {
    throw new Error(`stage ${stage.name}: no replay for RUN ${command}; teach dockerfile.test.ts`);
  }
}

/** Builds every stage into its own temp root, mapping container paths under it. */
function replay(): { root: string; runtimeRoot: string } {
  const root = mkdtempSync(path.join(tmpdir(), 'kw-docker-'));
  const roots = new Map<string, string>();
  for (const stage of stages) {
    const stageRoot = path.join(root, stage.name);
    mkdirSync(stageRoot, { recursive: true });
    roots.set(stage.name, stageRoot);
    let workdir = '/';
    for (const instruction of stage.instructions) {
      if (instruction.keyword === 'WORKDIR') {
        workdir = instruction.args;
        mkdirSync(path.join(stageRoot, workdir), { recursive: true });
      } else if (instruction.keyword === 'COPY') {
        const { from, sources, dest } = copyParts(instruction);
        const destPath = path.join(
          stageRoot,
          dest.startsWith('/') ? dest : path.join(workdir, dest),
        );
        const toDir = dest.endsWith('/') || sources.length > 1;
        for (const source of sources) {
          const fromPath = from
            ? path.join(roots.get(from) ?? '', source)
            : path.join(REPO_ROOT, source);
          const target = toDir ? path.join(destPath, path.basename(source)) : destPath;
          if (!existsSync(fromPath))
            throw new Error(`line ${instruction.line}: ${source} does not exist`);
          mkdirSync(path.dirname(target), { recursive: true });
          // A directory source copies its contents (Docker's rule), not the directory itself.
          const isDirSource = source.endsWith('/') || readdirSafe(fromPath);
          cpSync(fromPath, isDirSource ? destPath : target, { recursive: true, dereference: true });
        }
      } else if (instruction.keyword === 'RUN') {
        for (const command of instruction.args.split('&&').map((c) => c.trim())) {
          if (command === 'npm cache clean --force') continue; // would empty this machine's cache
          replayRun(stage, command, stageRoot, workdir);
        }
      }
    }
  }
  return { root, runtimeRoot: roots.get(runtime.name) ?? '' };
}

function readdirSafe(p: string): boolean {
  try {
    readdirSync(p);
    return true;
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

describe('the runtime stage, assembled without Docker', () => {
  let replayed: { root: string; runtimeRoot: string };
  let entrypoint: string[];
  beforeAll(() => {
    replayed = replay();
    const [node, script] = JSON.parse(one(runtime, 'ENTRYPOINT').args) as [string, string];
    expect(node).toBe('node');
    entrypoint = [path.join(replayed.runtimeRoot, script)];
  }, 300_000);
  afterAll(() => {
    if (replayed) rmSync(replayed.root, { recursive: true, force: true });
  });

  // The image's working directory is /app; run from elsewhere to prove nothing depends on it.
  const run = (args: string[]) =>
    spawnSync(process.execPath, [...entrypoint, ...args], {
      cwd: tmpdir(),
      encoding: 'utf8',
      timeout: 30_000,
    });

  it('holds the bundle, its launcher, and production node_modules only', () => {
    const app = path.join(replayed.runtimeRoot, 'app');
    for (const file of [
      'bin/kafka-warden',
      'bin/run-bundle.js',
      'dist/kafka-warden.js',
      'dist/kafka-warden.js.cache',
    ])
      expect(existsSync(path.join(app, file))).toBe(true);
    const modules = path.join(app, 'node_modules');
    expect(existsSync(path.join(modules, '@kubernetes', 'client-node', 'package.json'))).toBe(true);
    for (const dev of [
      'jest',
      'typescript',
      'esbuild',
      'ts-jest',
      'eslint',
      'prettier',
      'supertest',
    ])
      expect(existsSync(path.join(modules, dev))).toBe(false);
    // The client is ESM-only: it must import from the application's folder.
    const imported = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "const k = await import('@kubernetes/client-node'); console.log(typeof k.KubeConfig)",
      ],
      { cwd: app, encoding: 'utf8' },
    );
    expect(imported.stdout.trim()).toBe('function');
  });

  it('answers --version and serve --help', () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    const version = run(['--version']);
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toContain(pkg.version);
    const help = run(['serve', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--tls-cert');
  });

  /** Starts the default command as the chart does (mounted files), until it logs "listening". */
  async function startServe(extraArgs: string[]) {
    const dir = mkdtempSync(path.join(tmpdir(), 'kw-docker-serve-'));
    execFileSync(process.execPath, [...entrypoint, 'certs', 'init-ca', '--out-dir', dir], {
      stdio: 'pipe',
    });
    const port = await freePort();
    writeFileSync(path.join(dir, 'policy.yaml'), 'rules:\n  ordered-ready: { mode: warn }\n');
    writeFileSync(path.join(dir, 'config.yaml'), '{}\n');
    const cmd = JSON.parse(one(runtime, 'CMD').args) as string[];
    const child = spawn(
      process.execPath,
      [
        ...entrypoint,
        ...cmd,
        '--host',
        '127.0.0.1',
        '--tls-cert',
        path.join(dir, 'ca.crt'),
        '--tls-key',
        path.join(dir, 'ca.key'),
        '--policy',
        path.join(dir, 'policy.yaml'),
        '--config',
        path.join(dir, 'config.yaml'),
        '--shutdown-delay',
        '0',
        ...extraArgs,
      ],
      {
        cwd: tmpdir(),
        env: { ...process.env, KAFKA_WARDEN_PORT: String(port) },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let log = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not listen:\n${log}`)), 20_000);
      const onData = (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes('"msg":"listening"')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => reject(new Error(`serve exited with ${code}:\n${log}`)));
    });
    const stop = async () => {
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const code = await exited;
      rmSync(dir, { recursive: true, force: true });
      return code;
    };
    return { port, log: () => log, stop };
  }

  it('starts serve and passes the image HEALTHCHECK on /healthz', async () => {
    const server = await startServe(['--no-kube']);
    try {
      const healthcheck = JSON.parse(
        one(runtime, 'HEALTHCHECK').args.replace(/^(--\S+\s+)*CMD\s+/, ''),
      ) as string[];
      expect(healthcheck[0]).toBe('node');
      const check = spawnSync(process.execPath, healthcheck.slice(1), {
        env: { ...process.env, KAFKA_WARDEN_PORT: String(server.port) },
        encoding: 'utf8',
        timeout: 10_000,
      });
      expect(check.status).toBe(0);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  }, 60_000);

  // src/kube loads the ESM-only client with require() (Node >= 20.19); a missing or unloadable
  // client makes `serve` log "no Kubernetes API access" and never read plan ConfigMaps.
  it('loads @kubernetes/client-node at start-up (reassignment-plan ConfigMaps)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kw-docker-kubeconfig-'));
    const kubeconfig = path.join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]',
        'users: [{name: u, user: {token: t}}]',
        'contexts: [{name: c, context: {cluster: c, user: u}}]',
        'current-context: c',
      ].join('\n'),
    );
    const server = await startServe(['--kubeconfig', kubeconfig]);
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
    expect(server.log()).not.toContain('no Kubernetes API access');
  }, 60_000);
});
