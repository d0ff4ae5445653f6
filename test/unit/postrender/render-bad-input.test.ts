import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli, runPostRenderer, type CliResult } from '../../support/run-cli';

const STATEFULSET_HEAD =
  '---\n# Source: cp-helm-charts/charts/cp-kafka/templates/statefulset.yaml\n';

/** Every malformed input tried, with what the user must be told. */
const BAD_INPUTS: [name: string, input: string, code: string, mentions: string[]][] = [
  ['empty input', '', 'KW_INPUT_EMPTY', ['no Kubernetes manifest']],
  ['only whitespace', '  \n\n', 'KW_INPUT_EMPTY', ['no Kubernetes manifest']],
  [
    'only separators and comments',
    '---\n# nothing\n---\n',
    'KW_INPUT_EMPTY',
    ['no Kubernetes manifest'],
  ],
  [
    'invalid YAML (bad indentation) in the second document',
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n' +
      STATEFULSET_HEAD +
      'kind: StatefulSet\n  bad: indent\n',
    'KW_INPUT_YAML',
    [
      'document 2',
      'line 5',
      'at line 8, column 6',
      'cp-kafka/templates/statefulset.yaml',
      'bad indentation',
    ],
  ],
  ['unterminated quote', 'kind: "Pod\n', 'KW_INPUT_YAML', ['document 1', 'double quoted scalar']],
  ['tab indentation', 'kind: Pod\nmetadata:\n\tname: x\n', 'KW_INPUT_YAML', ['document 1']],
  ['duplicate key', 'kind: Pod\nkind: Service\n', 'KW_INPUT_YAML', ['duplicated mapping key']],
  [
    // js-yaml reports this one without a position: it crashed the render (exit 70).
    'a document end marker (...) followed by more of the document',
    'apiVersion: v1\nkind: ConfigMap\n...\nmetadata: {name: a}\n',
    'KW_INPUT_YAML',
    ['document 1', 'expected a single document in the stream'],
  ],
  ['a scalar document', '---\njust a string\n', 'KW_INPUT_NOT_MAPPING', ['document 1', 'a string']],
  ['a sequence document', '- a\n- b\n', 'KW_INPUT_NOT_MAPPING', ['document 1', 'a sequence']],
  [
    'a null document between objects',
    'kind: A\n---\n~\n---\nkind: B\n',
    'KW_INPUT_NOT_MAPPING',
    ['document 2', 'null'],
  ],
  [
    'a billion laughs: aliases standing for 10^7 nodes',
    'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\n' +
      'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' +
      'bcdefg'
        .split('')
        .map((key, i) => {
          const alias = i === 0 ? 'a' : ('bcdefg'[i - 1] as string);
          return `${key}: &${key} [${Array(10).fill(`*${alias}`).join(',')}]\n`;
        })
        .join(''),
    'KW_INPUT_YAML',
    ['document 1', 'aliases (*name) expand to more than 10000 nodes'],
  ],
  [
    'a document nested 300 levels deep',
    `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata: ${'['.repeat(300)}${']'.repeat(300)}\n`,
    'KW_INPUT_YAML',
    ['document 1', 'nesting exceeded maxDepth (100)'],
  ],
  [
    'aliases that nest a document 160 levels deep, each part under 100',
    `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\na: &a ${'['.repeat(80)}${']'.repeat(80)}\n` +
      `b: ${'['.repeat(80)}*a${']'.repeat(80)}\n`,
    'KW_INPUT_YAML',
    ['document 1', 'nests deeper than 100 levels'],
  ],
  // Fields of the wrong type in what kafka-warden edits: each was a TypeError (internal error,
  // exit 70) somewhere inside the transformation.
  ...(
    [
      [
        "the broker's ports a number",
        'ports: 9092',
        'spec.template.spec.containers[0].ports must be a list, not 9092',
      ],
      [
        "the broker's env a mapping",
        'env: {KAFKA_OPTS: x}',
        'containers[0].env must be a list, not a mapping',
      ],
      [
        'an env value a number',
        'env: [{name: KAFKA_HEAP_OPTS, value: 1024}]',
        'containers[0].env[0].value must be a string, not 1024',
      ],
      [
        'a volume mount without a name',
        'volumeMounts: [{mountPath: /x}]',
        'containers[0].volumeMounts[0].name is missing',
      ],
    ] as const
  ).map(([what, line, mention]): [string, string, string, string[]] => [
    `a Kafka StatefulSet with ${what}`,
    STATEFULSET_HEAD +
      'apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: odd-cp-kafka}\nspec:\n  replicas: 3\n' +
      '  serviceName: odd-cp-kafka-headless\n  template:\n    spec:\n      containers:\n' +
      '      - name: cp-kafka-broker\n        image: confluentinc/cp-enterprise-kafka:6.1.0\n' +
      `        ${line}\n`,
    'KW_INPUT_FIELD',
    ['StatefulSet odd-cp-kafka', mention],
  ]),
  [
    'pod template annotations that are a list',
    STATEFULSET_HEAD +
      'apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: odd-cp-zookeeper}\nspec:\n  template:\n' +
      '    metadata: {annotations: [a, b]}\n    spec:\n      containers:\n' +
      '      - name: cp-zookeeper-server\n        image: confluentinc/cp-zookeeper:6.1.0\n',
    'KW_INPUT_FIELD',
    ['spec.template.metadata.annotations must be a mapping, not a list'],
  ],
  ...[100_000, 2147483647, -1, 2.5].map((replicas): [string, string, string, string[]] => [
    `a Kafka StatefulSet with ${replicas} replicas`,
    STATEFULSET_HEAD +
      `apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: big-cp-kafka}\nspec:\n  replicas: ${replicas}\n` +
      '  serviceName: big-cp-kafka-headless\n  template:\n    spec:\n      containers:\n' +
      '      - name: cp-kafka-broker\n        image: confluentinc/cp-enterprise-kafka:6.1.0\n',
    'KW_BROKER_COUNT',
    ['StatefulSet big-cp-kafka', `spec.replicas ${replicas}`, 'from 0 to 1000'],
  ]),
];

/** `kafka-warden render`, and the Helm 3 executable that runs it from the startup snapshot. */
const DOORS: [name: string, render: (input: string, args?: string[]) => CliResult][] = [
  ['kafka-warden render', (input, args = []) => runCli(['render', ...args], input)],
  ['bin/kafka-warden-post-renderer', (input, args = []) => runPostRenderer(args, input)],
];

describe.each(DOORS)('%s, given bad input', (_door, render) => {
  test.each(BAD_INPUTS)(
    '%s: exits non-zero, names the problem on stderr, writes nothing',
    (_n, input, code, mentions) => {
      const result = render(input);
      expect(result.status).toBe(1);
      expect(result.stdout).toBe('');
      // One render, one message: a launcher that retried from the bundle would say it twice.
      expect(result.stderr.match(/^kafka-warden render:/gm)).toHaveLength(1);
      expect(result.stderr).toContain(code);
      for (const text of mentions) expect(result.stderr).toContain(text);
    },
  );
});

describe.each(DOORS)('%s, given a bad configuration', (_door, render) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kw-config-'));
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  };
  const manifest = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n';

  test.each([
    ['an unknown key', 'tls:\n  keepPlaintxt: false\n', ['tls.keepPlaintxt: unknown field']],
    ['an unknown top-level key', 'metrix: {}\n', ['metrix: unknown field']],
    [
      'a wrong enum value',
      'tls:\n  clientAuth: none\n',
      ['tls.clientAuth: must be one of "required", "requested"'],
    ],
    ['a wrong type', 'probes:\n  enabled: "sometimes"\n', ['probes.enabled: must be boolean']],
    [
      'a host template that is not a host name',
      'listeners:\n  external:\n    mode: hostname\n    hostTemplate: "b{id}.x;reboot"\n',
      ['listeners.external.hostTemplate'],
    ],
    [
      'a mode that needs a host template without one',
      'listeners:\n  external:\n    mode: loadbalancer\n',
      ['hostTemplate'],
    ],
    ['invalid YAML', 'tls: [\n', ['not valid YAML']],
  ])('%s: refused with the field named, nothing on stdout', (_n, config, mentions) => {
    const file = write(`${_n.replaceAll(' ', '-')}.yaml`, config);
    const result = render(manifest, ['--config', file]);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('KW_CONFIG_INVALID');
    for (const text of mentions) expect(result.stderr).toContain(text);
    expect(result.stderr).toContain(file);
  });

  test('a missing configuration file is named', () => {
    const result = render(manifest, ['--config', path.join(dir, 'nope.yaml')]);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('KW_CONFIG_READ');
    expect(result.stderr).toContain('nope.yaml');
  });

  test('an unknown flag is a usage error (exit 2)', () => {
    const result = render(manifest, ['--konfig', 'x']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('KW_USAGE');
  });
});

describe('kafka-warden render, given good input', () => {
  test('passes a stream without Kafka through byte for byte, even without a final newline', () => {
    const input =
      '# leading comment\napiVersion: v1\nkind: ConfigMap # trailing\nmetadata:\n  name: "a"\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: b}';
    const result = runCli(['render'], input);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(input);
  });

  test('reads its configuration from KAFKA_WARDEN_CONFIG', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kw-env-'));
    const file = path.join(dir, 'c.yaml');
    writeFileSync(file, 'tls:\n  enabled: nope\n');
    const result = runCli(['render'], 'kind: Pod\n', { KAFKA_WARDEN_CONFIG: file });
    expect(result.stderr).toContain('tls.enabled: must be boolean');
  });
});
