/**
 * A real Kubernetes control plane on 127.0.0.1 for end-to-end tests: etcd, kube-apiserver and
 * kube-controller-manager built by scripts/install-control-plane.sh, with no scheduler, no kubelet
 * and no containers. StatefulSets create Pods (which pass through admission webhooks); the Pods stay
 * Pending. See docs/control-plane.md.
 *
 *   const cp = await startControlPlane();
 *   const { status, body } = await apiRequest(cp, 'GET', '/api/v1/namespaces');
 *   await cp.stop();
 *
 * Everything lives in one temp dir (certificates, kubeconfigs, etcd data, one log per component);
 * stop() kills the process groups and removes it. A watchdog process does the same if this Node
 * process dies without calling stop() (a crashed or killed Jest worker), and an exit hook covers an
 * ordinary exit, so a failed test never leaks a control plane.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPair, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import forge from 'node-forge';
import { REPO_ROOT } from './paths';

export type Component = 'etcd' | 'kube-apiserver' | 'kube-controller-manager';

export interface ControlPlaneOptions {
  /** Where install-control-plane.sh put bin/; default $KW_TOOLS_DIR or ~/.cache/kafka-warden/tools. */
  toolsDir?: string;
  /** Bound on each component's start-up wait (ms). Default 60 000. */
  startTimeoutMs?: number;
  /** kube-controller-manager --controllers; default DEFAULT_CONTROLLERS. */
  controllers?: string[];
  /** Appended to the kube-apiserver command line (e.g. '--v=4', '--audit-log-path=...'). */
  apiServerArgs?: string[];
  /** Appended to the kube-controller-manager command line. */
  controllerManagerArgs?: string[];
  /** Keep the temp dir (certificates, logs, etcd data) after stop(), for debugging. Also
   * KW_KEEP_CONTROL_PLANE=1. */
  keepDir?: boolean;
}

export interface ControlPlane {
  /** The temp dir holding everything; logs are <dir>/logs/<component>.log. */
  dir: string;
  /** https://127.0.0.1:<port> */
  server: string;
  /** Admin kubeconfig (O=system:masters, credentials embedded): for helm and tests. */
  kubeconfigPath: string;
  /** The CA that signed every certificate here; the API server's client CA too. */
  caPem: string;
  caCertPath: string;
  adminCertPath: string;
  adminKeyPath: string;
  /** What GET /version reports, e.g. v1.34.12. */
  version: string;
  /** Log file per component. */
  logs: Record<Component, string>;
  /** Milliseconds from the call to startControlPlane to ready, and per phase. */
  timings: {
    totalMs: number;
    certsMs: number;
    etcdMs: number;
    apiServerMs: number;
    controllerManagerMs: number;
  };
  /** Kills every process (SIGTERM, then SIGKILL after 10 s) and removes the dir. Idempotent. */
  stop(): Promise<void>;
}

/** Enough for StatefulSets, Deployments and Jobs to create Pods, and for namespaces, service
 * accounts and owner references to behave as in a real cluster. */
export const DEFAULT_CONTROLLERS = [
  'namespace',
  'serviceaccount',
  'garbagecollector',
  'statefulset',
  'deployment',
  'replicaset',
  'job',
  'disruption',
  'root-ca-cert-publisher',
];

/** The service range the API server allocates ClusterIPs from. Nothing ever dials it. */
export const SERVICE_CLUSTER_IP_RANGE = '10.96.0.0/24';

const generate = promisify(generateKeyPair);

export function toolsDir(): string {
  return process.env.KW_TOOLS_DIR ?? path.join(homedir(), '.cache', 'kafka-warden', 'tools');
}

/** The versions pinned in scripts/install-control-plane.sh (the single source of truth). */
export function pinnedVersions(): { kubernetes: string; etcd: string } {
  const script = readFileSync(path.join(REPO_ROOT, 'scripts', 'install-control-plane.sh'), 'utf8');
  const pin = (name: string): string => {
    const match = new RegExp(`^${name}=(v[0-9.]+)$`, 'm').exec(script);
    if (!match?.[1]) throw new Error(`no ${name}= line in scripts/install-control-plane.sh`);
    return match[1];
  };
  return { kubernetes: pin('KUBERNETES_VERSION'), etcd: pin('ETCD_VERSION') };
}

/** The three binaries; a missing one (or one built for another pin) fails loudly. */
export function controlPlaneBinaries(dir = toolsDir()): Record<Component, string> {
  const pins = pinnedVersions();
  const want: Record<Component, string> = {
    etcd: pins.etcd,
    'kube-apiserver': pins.kubernetes,
    'kube-controller-manager': pins.kubernetes,
  };
  const result = {} as Record<Component, string>;
  for (const [name, version] of Object.entries(want) as [Component, string][]) {
    const binary = path.join(dir, 'bin', name);
    const stamp = `${binary}.version`;
    const built = existsSync(stamp) ? readFileSync(stamp, 'utf8').split(' ')[0]?.trim() : undefined;
    if (!existsSync(binary) || built !== version) {
      throw new Error(
        `${binary} ${existsSync(binary) ? `is ${built ?? 'unstamped'}, not ${version}` : 'not found'}: run scripts/install-control-plane.sh`,
      );
    }
    result[name] = binary;
  }
  return result;
}

// ---------------------------------------------------------------- certificates

interface KeyPair {
  key: forge.pki.rsa.PrivateKey;
  publicKey: forge.pki.rsa.PublicKey;
  keyPem: string;
  publicPem: string;
}

async function rsaKey(): Promise<KeyPair> {
  // Node's native generator (fast, off the main thread); forge only signs.
  const { privateKey, publicKey } = await generate('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const key = forge.pki.privateKeyFromPem(privateKey);
  return {
    key,
    publicKey: forge.pki.setRsaPublicKey(key.n, key.e),
    keyPem: forge.pki.privateKeyToPem(key),
    publicPem: publicKey,
  };
}

function sign(
  subject: forge.pki.CertificateField[],
  publicKey: forge.pki.PublicKey,
  issuer: { subject: forge.pki.CertificateField[]; key: forge.pki.rsa.PrivateKey },
  extensions: object[],
): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = `01${randomBytes(15).toString('hex')}`;
  cert.validity.notBefore = new Date(Date.now() - 3_600_000);
  cert.validity.notAfter = new Date(Date.now() + 7 * 86_400_000);
  cert.setSubject(subject);
  cert.setIssuer(issuer.subject);
  cert.setExtensions(extensions);
  cert.sign(issuer.key, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

interface Pki {
  caCert: string;
  caKey: string;
  servingCert: string;
  servingKey: string;
  adminCert: string;
  adminKey: string;
  kcmCert: string;
  kcmKey: string;
  saKey: string;
  saPub: string;
}

async function makePki(): Promise<Pki> {
  const [ca, serving, admin, kcm, sa] = await Promise.all([
    rsaKey(),
    rsaKey(),
    rsaKey(),
    rsaKey(),
    rsaKey(),
  ]);
  const caSubject = [{ name: 'commonName', value: 'kafka-warden test control plane CA' }];
  const issuer = { subject: caSubject, key: ca.key };
  const client = (cn: string, org?: string): forge.pki.CertificateField[] => [
    ...(org ? [{ name: 'organizationName', value: org }] : []),
    { name: 'commonName', value: cn },
  ];
  const clientExtensions = [
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', clientAuth: true },
  ];
  return {
    caCert: sign(caSubject, ca.publicKey, issuer, [
      { name: 'basicConstraints', cA: true, critical: true },
      {
        name: 'keyUsage',
        keyCertSign: true,
        cRLSign: true,
        digitalSignature: true,
        critical: true,
      },
      { name: 'subjectKeyIdentifier' },
    ]),
    caKey: ca.keyPem,
    servingCert: sign(
      [{ name: 'commonName', value: 'kube-apiserver' }],
      serving.publicKey,
      issuer,
      [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true },
        {
          name: 'subjectAltName',
          altNames: [
            { type: 7, ip: '127.0.0.1' },
            { type: 2, value: 'localhost' },
          ],
        },
      ],
    ),
    servingKey: serving.keyPem,
    adminCert: sign(
      client('kafka-warden-admin', 'system:masters'),
      admin.publicKey,
      issuer,
      clientExtensions,
    ),
    adminKey: admin.keyPem,
    kcmCert: sign(
      client('system:kube-controller-manager'),
      kcm.publicKey,
      issuer,
      clientExtensions,
    ),
    kcmKey: kcm.keyPem,
    saKey: sa.keyPem,
    saPub: sa.publicPem,
  };
}

function kubeconfig(
  server: string,
  caPem: string,
  user: string,
  certPem: string,
  keyPem: string,
): string {
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  // JSON is YAML: no YAML library needed, and every kubeconfig reader accepts it.
  return JSON.stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        { name: 'kw-test', cluster: { server, 'certificate-authority-data': b64(caPem) } },
      ],
      users: [
        {
          name: user,
          user: { 'client-certificate-data': b64(certPem), 'client-key-data': b64(keyPem) },
        },
      ],
      contexts: [{ name: 'kw-test', context: { cluster: 'kw-test', user, namespace: 'default' } }],
      'current-context': 'kw-test',
      preferences: {},
    },
    null,
    2,
  );
}

// ---------------------------------------------------------------- processes

/** Distinct free loopback ports: all listeners are held open together, then closed. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const server = net.createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as net.AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

function tail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** No proxy for components that must only ever talk to 127.0.0.1. */
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^(https?|all|no)_proxy$/i.test(name) || name === 'KUBECONFIG') delete env[name];
  }
  return env;
}

interface Running {
  name: Component;
  child: ChildProcess;
  log: string;
  /** The temp dir outlives stop(), so the log path in an error is worth printing. */
  keep: boolean;
  exited: Promise<void>;
  exitInfo?: string;
}

function startProcess(
  name: Component,
  binary: string,
  args: string[],
  log: string,
  keep: boolean,
): Running {
  const fd = openSync(log, 'a');
  let child: ChildProcess;
  try {
    // detached: its own process group, so stop() can signal the group.
    child = spawn(binary, args, { detached: true, stdio: ['ignore', fd, fd], env: childEnv() });
  } finally {
    closeSync(fd);
  }
  const running: Running = {
    name,
    child,
    log,
    keep,
    exited: new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        running.exitInfo = signal ? `killed by ${signal}` : `exited with code ${code}`;
        resolve();
      });
      child.once('error', (error) => {
        running.exitInfo = `failed to start: ${error.message}`;
        resolve();
      });
    }),
  };
  return running;
}

function signalGroup(running: Running, signal: NodeJS.Signals): void {
  if (running.exitInfo !== undefined || running.child.pid === undefined) return;
  try {
    process.kill(-running.child.pid, signal);
  } catch {
    // already gone
  }
}

interface Probe {
  ok: boolean;
  detail: string;
}

function get(url: string, options: https.RequestOptions = {}): Promise<Probe> {
  return new Promise((resolve) => {
    const lib = url.startsWith('https:') ? https : http;
    const req = lib.get(url, { ...options, timeout: 5_000, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () =>
        resolve({
          ok: res.statusCode === 200,
          detail: `HTTP ${res.statusCode}: ${body.slice(0, 500)}`,
        }),
      );
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (error) => resolve({ ok: false, detail: error.message }));
  });
}

const keepHint = (running: Running) =>
  running.keep ? ` ${running.log}` : ' (KW_KEEP_CONTROL_PLANE=1 keeps the temp dir and its logs)';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until probe() is ok; fails fast with the log tail if the process dies, or on timeout. */
async function waitFor(
  running: Running,
  what: string,
  timeoutMs: number,
  probe: () => Promise<Probe>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'not probed yet';
  for (;;) {
    if (running.exitInfo !== undefined) {
      throw new Error(
        `${running.name} ${running.exitInfo} before ${what}; last lines of its log${keepHint(running)}:\n${tail(running.log)}`,
      );
    }
    const result = await probe();
    if (result.ok) return;
    last = result.detail;
    if (Date.now() > deadline) {
      throw new Error(
        `${running.name}: ${what} not reached within ${timeoutMs / 1000}s (last probe: ${last}); last lines of its log${keepHint(running)}:\n${tail(running.log)}`,
      );
    }
    await sleep(100);
  }
}

// Every live control plane of this process, for the exit hook.
const live = new Set<{ killNow(): void }>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const plane of live) plane.killNow();
  });
}

/**
 * A watchdog in its own process group: once this Node process is gone (even SIGKILLed, when no exit
 * hook runs) it SIGKILLs the component process groups listed in <dir>/pgids and removes the dir,
 * within a second. stop() kills the watchdog once the components are down.
 */
function startWatchdog(dir: string, keepDir: boolean): ChildProcess {
  const script = [
    'parent=$1; dir=$2; keep=$3; shift 3',
    'trap "" HUP INT',
    'while kill -0 "$parent" 2>/dev/null; do sleep 1; done',
    'for pgid in $(cat "$dir/pgids" 2>/dev/null); do kill -KILL -- "-$pgid" 2>/dev/null; done',
    '[ "$keep" = 1 ] || rm -rf -- "$dir"',
  ].join('\n');
  // bash, not sh: dash's kill builtin cannot signal a process group.
  const child = spawn(
    'bash',
    ['-c', script, 'kw-cp-watchdog', String(process.pid), dir, keepDir ? '1' : '0'],
    {
      detached: true,
      stdio: 'ignore',
    },
  );
  child.unref();
  return child;
}

// ---------------------------------------------------------------- start

export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const started = Date.now();
  const timeoutMs = opts.startTimeoutMs ?? 60_000;
  const keepDir = opts.keepDir ?? process.env.KW_KEEP_CONTROL_PLANE === '1';
  const bin = controlPlaneBinaries(opts.toolsDir);

  const dir = mkdtempSync(path.join(tmpdir(), 'kw-cp-'));
  const p = (...parts: string[]) => path.join(dir, ...parts);
  mkdirSync(p('pki'), { mode: 0o700 });
  mkdirSync(p('logs'));
  mkdirSync(p('etcd'), { mode: 0o700 });
  const logs: Record<Component, string> = {
    etcd: p('logs', 'etcd.log'),
    'kube-apiserver': p('logs', 'kube-apiserver.log'),
    'kube-controller-manager': p('logs', 'kube-controller-manager.log'),
  };

  const processes: Running[] = [];
  const watchdog = startWatchdog(dir, keepDir);
  const pgids: number[] = [];
  const track = (running: Running) => {
    processes.push(running);
    if (running.child.pid !== undefined) {
      pgids.push(running.child.pid);
      writeFileSync(p('pgids'), pgids.join('\n') + '\n');
    }
    return running;
  };

  let stopped: Promise<void> | undefined;
  const handle = {
    killNow(): void {
      for (const running of processes) signalGroup(running, 'SIGKILL');
      if (watchdog.pid !== undefined) {
        try {
          process.kill(-watchdog.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      if (!keepDir) rmSync(dir, { recursive: true, force: true });
    },
  };
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      // Reverse start order: controllers, then the API server, then etcd.
      for (const running of [...processes].reverse()) {
        signalGroup(running, 'SIGTERM');
        const timer = setTimeout(() => signalGroup(running, 'SIGKILL'), 10_000);
        await running.exited;
        clearTimeout(timer);
      }
      live.delete(handle);
      handle.killNow();
    })();
    return stopped;
  };
  installExitHook();
  live.add(handle);

  try {
    // Certificates, keys and kubeconfigs.
    const pki = await makePki();
    const files = {
      ca: p('pki', 'ca.crt'),
      servingCert: p('pki', 'serving.crt'),
      servingKey: p('pki', 'serving.key'),
      adminCert: p('pki', 'admin.crt'),
      adminKey: p('pki', 'admin.key'),
      saKey: p('pki', 'sa.key'),
      saPub: p('pki', 'sa.pub'),
    };
    writeFileSync(files.ca, pki.caCert);
    writeFileSync(files.servingCert, pki.servingCert);
    writeFileSync(files.servingKey, pki.servingKey, { mode: 0o600 });
    writeFileSync(files.adminCert, pki.adminCert);
    writeFileSync(files.adminKey, pki.adminKey, { mode: 0o600 });
    writeFileSync(files.saKey, pki.saKey, { mode: 0o600 });
    writeFileSync(files.saPub, pki.saPub);
    const certsMs = Date.now() - started;

    const [etcdClient, etcdPeer, apiPort, kcmPort] = (await freePorts(4)) as [
      number,
      number,
      number,
      number,
    ];
    const server = `https://127.0.0.1:${apiPort}`;
    const kubeconfigPath = p('admin.kubeconfig');
    writeFileSync(
      kubeconfigPath,
      kubeconfig(server, pki.caCert, 'admin', pki.adminCert, pki.adminKey),
      {
        mode: 0o600,
      },
    );
    const kcmKubeconfig = p('kube-controller-manager.kubeconfig');
    writeFileSync(
      kcmKubeconfig,
      kubeconfig(server, pki.caCert, 'system:kube-controller-manager', pki.kcmCert, pki.kcmKey),
      { mode: 0o600 },
    );
    const adminTls = { ca: pki.caCert, cert: pki.adminCert, key: pki.adminKey };

    // etcd: loopback only, throw-away data, no fsync (the data dies with the test).
    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    const peerUrl = `http://127.0.0.1:${etcdPeer}`;
    const etcd = track(
      startProcess(
        'etcd',
        bin.etcd,
        [
          '--name=kw-test',
          `--data-dir=${p('etcd')}`,
          `--listen-client-urls=${etcdUrl}`,
          `--advertise-client-urls=${etcdUrl}`,
          `--listen-peer-urls=${peerUrl}`,
          `--initial-advertise-peer-urls=${peerUrl}`,
          `--initial-cluster=kw-test=${peerUrl}`,
          '--initial-cluster-state=new',
          '--unsafe-no-fsync',
          '--log-level=warn',
        ],
        logs.etcd,
        keepDir,
      ),
    );
    await waitFor(etcd, 'GET /health', timeoutMs, async () => {
      const probe = await get(`${etcdUrl}/health`);
      return { ok: probe.ok && probe.detail.includes('"health":"true"'), detail: probe.detail };
    });
    const etcdMs = Date.now() - started;

    const apiserver = track(
      startProcess(
        'kube-apiserver',
        bin['kube-apiserver'],
        [
          `--etcd-servers=${etcdUrl}`,
          '--bind-address=127.0.0.1',
          '--advertise-address=127.0.0.1',
          `--secure-port=${apiPort}`,
          `--cert-dir=${p('pki')}`,
          `--tls-cert-file=${files.servingCert}`,
          `--tls-private-key-file=${files.servingKey}`,
          `--client-ca-file=${files.ca}`,
          `--service-cluster-ip-range=${SERVICE_CLUSTER_IP_RANGE}`,
          `--service-account-issuer=${server}`,
          `--service-account-key-file=${files.saPub}`,
          `--service-account-signing-key-file=${files.saKey}`,
          '--authorization-mode=RBAC',
          '--allow-privileged=true',
          ...(opts.apiServerArgs ?? []),
        ],
        logs['kube-apiserver'],
        keepDir,
      ),
    );
    await waitFor(apiserver, 'GET /readyz', timeoutMs, () => get(`${server}/readyz`, adminTls));
    const apiServerMs = Date.now() - started;

    const kcm = track(
      startProcess(
        'kube-controller-manager',
        bin['kube-controller-manager'],
        [
          `--kubeconfig=${kcmKubeconfig}`,
          // Its own HTTPS port serves only the always-allowed /healthz, /readyz, /livez that
          // start-up probes; no --authentication/authorization-kubeconfig (they would need the API
          // server's request-header CA and only log errors here).
          '--bind-address=127.0.0.1',
          `--secure-port=${kcmPort}`,
          `--cert-dir=${p('pki')}`,
          `--tls-cert-file=${files.servingCert}`,
          `--tls-private-key-file=${files.servingKey}`,
          `--controllers=${(opts.controllers ?? DEFAULT_CONTROLLERS).join(',')}`,
          '--leader-elect=false',
          '--use-service-account-credentials=true',
          `--service-account-private-key-file=${files.saKey}`,
          `--root-ca-file=${files.ca}`,
          ...(opts.controllerManagerArgs ?? []),
        ],
        logs['kube-controller-manager'],
        keepDir,
      ),
    );
    await waitFor(kcm, 'GET /healthz', timeoutMs, () =>
      get(`https://127.0.0.1:${kcmPort}/healthz`, { ca: pki.caCert }),
    );
    // Controllers really running: the serviceaccount controller has made default/default.
    if ((opts.controllers ?? DEFAULT_CONTROLLERS).includes('serviceaccount')) {
      await waitFor(kcm, 'the "default" ServiceAccount in namespace "default"', timeoutMs, () =>
        get(`${server}/api/v1/namespaces/default/serviceaccounts/default`, adminTls),
      );
    }
    const controllerManagerMs = Date.now() - started;

    const versionInfo = await get(`${server}/version`, adminTls);
    const version = /"gitVersion":\s*"([^"]+)"/.exec(versionInfo.detail)?.[1] ?? 'unknown';

    return {
      dir,
      server,
      kubeconfigPath,
      caPem: pki.caCert,
      caCertPath: files.ca,
      adminCertPath: files.adminCert,
      adminKeyPath: files.adminKey,
      version,
      logs,
      timings: { totalMs: Date.now() - started, certsMs, etcdMs, apiServerMs, controllerManagerMs },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

// ---------------------------------------------------------------- requests

export interface ApiResponse<T> {
  status: number;
  body: T;
}

/**
 * One request with a JSON body to the API server as the admin (client certificate, system:masters), with the
 * Node https module: no client library. Non-2xx statuses are returned, not thrown.
 */
export function apiRequest<T = Record<string, unknown>>(
  plane: Pick<ControlPlane, 'server' | 'caPem' | 'adminCertPath' | 'adminKeyPath'>,
  method: string,
  pathAndQuery: string,
  body?: unknown,
  /** The body's media type; a PATCH names its kind here (application/merge-patch+json). */
  contentType = 'application/json',
): Promise<ApiResponse<T>> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${plane.server}${pathAndQuery}`,
      {
        method,
        ca: plane.caPem,
        cert: readFileSync(plane.adminCertPath),
        key: readFileSync(plane.adminKeyPath),
        agent: false,
        timeout: 30_000,
        headers: {
          accept: 'application/json',
          ...(payload === undefined
            ? {}
            : { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) }),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: (text ? JSON.parse(text) : {}) as T });
          } catch {
            reject(
              new Error(
                `${method} ${pathAndQuery}: HTTP ${res.statusCode}, not JSON: ${text.slice(0, 500)}`,
              ),
            );
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${pathAndQuery}: timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** Polls fn until it returns a value other than undefined, or throws after timeoutMs. */
export async function eventually<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 60_000,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await sleep(intervalMs);
  }
}
