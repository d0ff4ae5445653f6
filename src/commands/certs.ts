/**
 * `kafka-warden certs`: the CA, broker and client material, as files or as Secret manifests.
 * Nothing secret is printed except inside a Secret manifest asked for with --secret, and nothing
 * secret is ever an argument: CAs and material are read from files.
 */
import type forge from 'node-forge';
import { DEFAULT_CONFIG, secretNameFor } from '../core/config';
import { WardenError } from '../core/errors';
import { dumpYaml11 } from '../manifests/yaml11';
import {
  brokerJaasFile,
  brokerCommonName,
  brokerSubjectAltNames,
  caPemFromSecret,
  clientJaasProperties,
  certificatesFromPem,
  checkCommonName,
  checkPrintable,
  commonNameOf,
  createCa,
  filesFromSecret,
  fingerprint,
  inspectCertificates,
  inspectMaterial,
  issueMaterial,
  jaasSecret,
  loadCa,
  rollHash,
  rotateMaterial,
  splitSubjectAltNames,
  toSecret,
  type IssuedMaterial,
  type PlainUser,
  type RsaBits,
  type SigningCa,
} from '../tls';
import { metadataMaps, secretName } from '../tls/secret';
import {
  readCaDir,
  readCertificateFile,
  readInspectInput,
  readManifest,
  readMaterialDir,
  readPasswordFile,
  writeCaDir,
  writeMaterialDir,
} from '../tls/file-io';
import { parseCommandArgs, wholeNumber } from './parse-args';

export const HELP = `usage: kafka-warden certs <subcommand> [options]

  init-ca  --out-dir DIR [--days N (1825)] [--name CN] [--bits 2048|3072|4096 (3072)] [--force]
           writes DIR/ca.crt and DIR/ca.key (0600)

  issue    CA --kind broker|client [--name CN] [--days N (365)] [--bits N (2048)]
           [--dns NAME]... [--trust-ca FILE]...
           [--statefulset STS --namespace NS --replicas N [--headless-service SVC]
            [--client-service SVC]... [--external-host-template T] [--cluster-domain D] [--wildcard]]
           OUTPUT
           --statefulset adds every DNS form of the brokers and Services to the names, and
           makes a broker's CN (its Kafka principal) STS.NS unless --name is given.

  inspect  PATH   a material directory, a .p12 store (its directory gives the passwords),
                  a Secret manifest, or a PEM certificate; exit 1 when problems are found

  rotate   CA (--in DIR | --in-secret FILE) [--new-ca-dir DIR | --new-ca-secret FILE]
           [--trust-ca FILE]... [--drop-ca SHA256]... [--days N] OUTPUT
           new key, same names; keeps every trusted CA unless dropped. With a new CA, the new
           one signs and the old one stays trusted.

  hash     SECRET_FILE...   ("-": stdin; a kubectl List of Secrets counts as its items)
           prints the value for config tls.contentHash: one Secret's content hash (its
           kafka-warden.io/tls-content-hash annotation), or one hash over several Secrets

  jaas     --kind broker|client --user NAME --password-file FILE
           [--accept-user NAME=PASSWORD_FILE]...   (broker: more users the brokers accept)
           (--secret-name NAME | --statefulset STS) [--namespace NS]
           a Secret manifest on stdout: broker key kafka_server_jaas.conf ({sts}-jaas),
           client key sasl-jaas.properties ({sts}-client-jaas). Passwords only from files.

  CA:      --ca-dir DIR (ca.crt, ca.key) | --ca-secret FILE (Secret with tls.crt, tls.key)
  OUTPUT:  --out-dir DIR [--force]  the six files of the Secret, 0600
         | --secret [--secret-name NAME] [--namespace NS]  a v1 Secret manifest on stdout

See docs/tls.md.
`;

const SUBCOMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  'init-ca': initCa,
  issue,
  inspect,
  rotate,
  hash,
  jaas,
};

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(HELP);
    return sub === undefined ? 2 : 0;
  }
  const handler = Object.hasOwn(SUBCOMMANDS, sub) ? SUBCOMMANDS[sub] : undefined;
  if (!handler) throw new WardenError('KW_USAGE', `unknown certs subcommand "${sub}"\n${HELP}`);
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(HELP);
    return 0;
  }
  return handler(rest);
}

const CA_OPTIONS = {
  'ca-dir': { type: 'string' },
  'ca-secret': { type: 'string' },
} as const;
const OUTPUT_OPTIONS = {
  'out-dir': { type: 'string' },
  force: { type: 'boolean' },
  secret: { type: 'boolean' },
  'secret-name': { type: 'string' },
  namespace: { type: 'string' },
} as const;
const ISSUE_COMMON = {
  days: { type: 'string' },
  bits: { type: 'string' },
  'trust-ca': { type: 'string', multiple: true },
} as const;

async function initCa(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, {
    'out-dir': { type: 'string' },
    days: { type: 'string' },
    name: { type: 'string' },
    bits: { type: 'string' },
    force: { type: 'boolean' },
  });
  const outDir = required(values['out-dir'], '--out-dir');
  const numbers = optionalNumbers(values);
  if (values.name !== undefined) checkCommonName(values.name, '--name');
  const { ca, pem } = await createCa({
    ...(values.name === undefined ? {} : { commonName: values.name }),
    ...numbers,
  });
  const written = writeCaDir(outDir, pem, values.force === true);
  process.stdout.write(
    `wrote ${written.join(', ')}\n${describeCa(ca)}\nKeep ca.key private: whoever reads it can issue broker certificates.\n`,
  );
  return 0;
}

async function issue(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, {
    ...CA_OPTIONS,
    ...OUTPUT_OPTIONS,
    ...ISSUE_COMMON,
    kind: { type: 'string' },
    name: { type: 'string' },
    dns: { type: 'string', multiple: true },
    statefulset: { type: 'string' },
    replicas: { type: 'string' },
    'headless-service': { type: 'string' },
    'client-service': { type: 'string', multiple: true },
    'external-host-template': { type: 'string' },
    'cluster-domain': { type: 'string' },
    wildcard: { type: 'boolean' },
  });
  const kind = values.kind;
  if (kind !== 'broker' && kind !== 'client') {
    throw new WardenError('KW_USAGE', '--kind broker or --kind client is required');
  }
  const numbers = optionalNumbers(values);
  checkNameFlags(values, [
    'name',
    'dns',
    'statefulset',
    'namespace',
    'headless-service',
    'client-service',
    'cluster-domain',
    'external-host-template',
  ]);
  splitSubjectAltNames(values.dns ?? [], '--dns');
  const names = [...(values.dns ?? [])];
  const cluster = values.statefulset;
  let brokerCn: string | undefined;
  // For a client, --statefulset only names the Secret: client certificates carry no DNS names.
  if (cluster !== undefined && kind === 'broker') {
    const namespace = required(values.namespace, '--namespace (with --statefulset)');
    // The principal the issuer gives the same cluster (src/tls/principals.ts).
    brokerCn = brokerCommonName(cluster, namespace);
    const sans = brokerSubjectAltNames({
      cluster,
      headlessService: values['headless-service'] ?? `${cluster}-headless`,
      namespace,
      replicas: wholeNumber(
        required(values.replicas, '--replicas (with --statefulset)'),
        '--replicas',
      ),
      ...(values['client-service'] ? { clientServices: values['client-service'] } : {}),
      ...(values['cluster-domain'] ? { clusterDomain: values['cluster-domain'] } : {}),
      externalHostTemplate: values['external-host-template'] ?? null,
      wildcard: values.wildcard === true,
    });
    names.push(...sans.dns, ...sans.ip);
  }
  const [commonName, commonNameFrom] =
    values.name !== undefined
      ? [values.name, '--name']
      : kind === 'client'
        ? [undefined, '']
        : brokerCn !== undefined
          ? [brokerCn, '--statefulset and --namespace (the common name without --name)']
          : [names[0], '--dns (the first is the common name without --name)'];
  if (commonName === undefined) {
    throw new WardenError(
      'KW_USAGE',
      kind === 'broker'
        ? 'a broker needs --dns NAME or --statefulset'
        : '--name is required for a client',
    );
  }
  checkCommonName(commonName, commonNameFrom);
  const target = chooseOutput(values, {
    name:
      cluster === undefined
        ? undefined
        : secretNameFor(
            kind === 'broker'
              ? DEFAULT_CONFIG.tls.brokerSecretName
              : DEFAULT_CONFIG.tls.clientSecretName,
            cluster,
          ),
    namespace: values.namespace,
  });
  const material = await issueMaterial(kind, {
    ca: loadSigningCa(values),
    commonName,
    subjectAltNames: names,
    alsoTrust: trustedCertificates(values['trust-ca']),
    ...numbers,
  });
  return emit(material, target);
}

async function rotate(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, {
    ...CA_OPTIONS,
    ...OUTPUT_OPTIONS,
    ...ISSUE_COMMON,
    in: { type: 'string' },
    'in-secret': { type: 'string' },
    'new-ca-dir': { type: 'string' },
    'new-ca-secret': { type: 'string' },
    'drop-ca': { type: 'string', multiple: true },
  });
  exactlyOne(values, ['in', 'in-secret']);
  const numbers = optionalNumbers(values);
  let current: Record<string, Buffer>;
  let source: string;
  let fromSecret: { name?: string; namespace?: string; labels?: Record<string, string> } = {};
  if (values.in !== undefined) {
    current = readMaterialDir(values.in);
    source = values.in;
  } else {
    const file = values['in-secret'] as string;
    const manifest = readManifest(file);
    current = filesFromSecret(manifest, file);
    source = file;
    fromSecret = { ...secretName(manifest), labels: metadataMaps(manifest).labels };
  }
  const target = chooseOutput(values, {
    name: fromSecret.name,
    namespace: values.namespace ?? fromSecret.namespace,
    labels: fromSecret.labels,
  });
  const oldCa = loadSigningCa(values);
  const hasNewCa = values['new-ca-dir'] !== undefined || values['new-ca-secret'] !== undefined;
  const signer = hasNewCa
    ? loadSigningCa(
        { 'ca-dir': values['new-ca-dir'], 'ca-secret': values['new-ca-secret'] },
        '--new-ca-dir or --new-ca-secret',
      )
    : oldCa;
  const material = await rotateMaterial({
    current,
    source,
    ca: signer,
    // The old CA stays trusted: brokers and clients still presenting its certificates keep working.
    alsoTrust: [
      ...(hasNewCa ? [oldCa.certificate] : []),
      ...trustedCertificates(values['trust-ca']),
    ],
    dropTrusted: values['drop-ca'] ?? [],
    ...numbers,
  });
  return emit(material, target);
}

function inspect(args: string[]): Promise<number> {
  const { positionals } = parseCommandArgs(args, {}, true);
  if (positionals.length !== 1) throw new WardenError('KW_USAGE', 'inspect takes one PATH');
  const input = readInspectInput(positionals[0] as string);
  if (input.kind === 'certificates') {
    process.stdout.write(
      dumpYaml11({
        source: input.source,
        certificates: inspectCertificates(input.pem, input.source),
      }),
    );
    return Promise.resolve(0);
  }
  const report = inspectMaterial(
    input.kind === 'material' ? input.files : input.manifest,
    input.source,
    new Date(),
  );
  process.stdout.write(dumpYaml11(report));
  return Promise.resolve(report.problems.length === 0 ? 0 : 1);
}

function hash(args: string[]): Promise<number> {
  const { positionals } = parseCommandArgs(args, {}, true);
  if (positionals.length === 0) throw new WardenError('KW_USAGE', 'hash takes SECRET_FILE...');
  const secrets = positionals.flatMap((file) => {
    const source = file === '-' ? 'stdin' : file;
    const manifest = readManifest(file === '-' ? '/dev/stdin' : file);
    const items =
      isList(manifest) && Array.isArray(manifest.items)
        ? (manifest.items as unknown[])
        : [manifest];
    return items.map((item, index) => ({
      name: secretName(item).name ?? `${source}#${index}`,
      files: filesFromSecret(item, source),
    }));
  });
  process.stdout.write(`${rollHash(secrets)}\n`);
  return Promise.resolve(0);
}

function isList(value: unknown): value is { kind: 'List'; items?: unknown } {
  return (
    typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'List'
  );
}

function jaas(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, {
    kind: { type: 'string' },
    user: { type: 'string' },
    'password-file': { type: 'string' },
    'accept-user': { type: 'string', multiple: true },
    'secret-name': { type: 'string' },
    statefulset: { type: 'string' },
    namespace: { type: 'string' },
  });
  const kind = values.kind;
  if (kind !== 'broker' && kind !== 'client') {
    throw new WardenError('KW_USAGE', '--kind broker or --kind client is required');
  }
  if (kind === 'client' && values['accept-user']) {
    throw new WardenError('KW_USAGE', '--accept-user is for --kind broker');
  }
  const template =
    kind === 'broker'
      ? DEFAULT_CONFIG.sasl.jaasSecretName
      : DEFAULT_CONFIG.sasl.clientJaasSecretName;
  const name =
    values['secret-name'] ??
    (values.statefulset === undefined ? undefined : secretNameFor(template, values.statefulset));
  if (!name) throw new WardenError('KW_USAGE', 'give --secret-name NAME or --statefulset STS');
  const userFrom = (user: string, file: string): PlainUser => ({
    name: user,
    password: readPasswordFile(file),
    source: file,
  });
  const user = userFrom(
    required(values.user, '--user'),
    required(values['password-file'], '--password-file'),
  );
  const accepted = (values['accept-user'] ?? []).map((entry) => {
    const at = entry.indexOf('=');
    if (at <= 0 || at === entry.length - 1) {
      throw new WardenError('KW_USAGE', `--accept-user takes NAME=PASSWORD_FILE, not "${entry}"`);
    }
    return userFrom(entry.slice(0, at), entry.slice(at + 1));
  });
  const content = kind === 'broker' ? brokerJaasFile(user, accepted) : clientJaasProperties(user);
  const secret = jaasSecret(kind, content, {
    name,
    ...(values.namespace === undefined ? {} : { namespace: values.namespace }),
  });
  process.stdout.write(dumpYaml11(secret));
  return Promise.resolve(0);
}

// ---- shared option handling -------------------------------------------------------------------

function required(value: string | undefined, option: string): string {
  if (value === undefined || value === '')
    throw new WardenError('KW_USAGE', `${option} is required`);
  return value;
}

function optionalNumbers(values: { days?: string; bits?: string }): {
  days?: number;
  bits?: RsaBits;
} {
  return {
    ...(values.days === undefined ? {} : { days: wholeNumber(values.days, '--days') }),
    // issueMaterial and createCa check the size against the supported ones.
    ...(values.bits === undefined ? {} : { bits: wholeNumber(values.bits, '--bits') as RsaBits }),
  };
}

/**
 * Flags whose values end up in a certificate's subject or names, checked before any key is
 * generated so the error names the flag; the syntax of the names they make is checked where the
 * names are made.
 */
function checkNameFlags(values: Record<string, unknown>, flags: string[]): void {
  for (const flag of flags) {
    const value = values[flag];
    const texts = typeof value === 'string' ? [value] : Array.isArray(value) ? value : [];
    for (const text of texts as string[]) {
      checkPrintable(text, `--${flag}`, 'a name in a certificate');
    }
  }
}

function exactlyOne(values: Record<string, unknown>, options: string[]): void {
  const given = options.filter((option) => values[option] !== undefined);
  if (given.length !== 1) {
    throw new WardenError(
      'KW_USAGE',
      `give exactly one of ${options.map((o) => `--${o}`).join(', ')}`,
    );
  }
}

function loadSigningCa(
  values: { 'ca-dir'?: string | undefined; 'ca-secret'?: string | undefined },
  what = '--ca-dir or --ca-secret',
): SigningCa {
  const now = new Date();
  if ((values['ca-dir'] === undefined) === (values['ca-secret'] === undefined)) {
    throw new WardenError('KW_USAGE', `give exactly one of ${what}`);
  }
  if (values['ca-dir'] !== undefined) {
    const { pem, sources } = readCaDir(values['ca-dir']);
    return loadCa(pem, sources, now);
  }
  const file = values['ca-secret'] as string;
  const pem = caPemFromSecret(readManifest(file), file);
  return loadCa(pem, { certificate: `${file}: tls.crt`, key: `${file}: tls.key` }, now);
}

function trustedCertificates(files: string[] | undefined): forge.pki.Certificate[] {
  return (files ?? []).flatMap((file) => certificatesFromPem(readCertificateFile(file), file));
}

function describeCa(ca: SigningCa): string {
  return `CA ${commonNameOf(ca.certificate) ?? ''}, valid until ${ca.certificate.validity.notAfter.toISOString()}, SHA-256 ${fingerprint(ca.certificate)}`;
}

type OutputTarget =
  | { to: 'dir'; dir: string; force: boolean }
  | { to: 'secret'; name: string; namespace?: string; labels?: Record<string, string> };

/** Decided before any key is generated: a usage error should cost nothing. */
function chooseOutput(
  values: { 'out-dir'?: string; force?: boolean; secret?: boolean; 'secret-name'?: string },
  defaults: {
    name?: string | undefined;
    namespace?: string | undefined;
    labels?: Record<string, string> | undefined;
  },
): OutputTarget {
  if ((values['out-dir'] === undefined) === (values.secret !== true)) {
    throw new WardenError('KW_USAGE', 'give exactly one of --out-dir DIR, --secret');
  }
  if (values['out-dir'] !== undefined) {
    return { to: 'dir', dir: values['out-dir'], force: values.force === true };
  }
  const name = values['secret-name'] ?? defaults.name;
  if (!name) throw new WardenError('KW_USAGE', '--secret needs --secret-name (or --statefulset)');
  return {
    to: 'secret',
    name,
    ...(defaults.namespace ? { namespace: defaults.namespace } : {}),
    ...(defaults.labels ? { labels: defaults.labels } : {}),
  };
}

function emit(material: IssuedMaterial, target: OutputTarget): number {
  if (target.to === 'secret') {
    const { name, namespace, labels } = target;
    process.stdout.write(
      dumpYaml11(
        toSecret(material, {
          name,
          ...(namespace === undefined ? {} : { namespace }),
          ...(labels === undefined ? {} : { labels }),
        }),
      ),
    );
    return 0;
  }
  const { summary } = material;
  const written = writeMaterialDir(target.dir, material.files, target.force);
  process.stdout.write(
    `wrote ${written.length} files to ${target.dir}: ${summary.kind} CN=${summary.commonName}, ${summary.dnsNames.length + summary.ipAddresses.length} names, valid until ${summary.notAfter.toISOString()}\n`,
  );
  return 0;
}
