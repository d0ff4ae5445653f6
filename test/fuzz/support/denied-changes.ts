/**
 * Changes the policy must deny, built from the real renders, and seeded mutations of them that
 * must not change that: noise a tool or a person adds (annotations and labels of other owners,
 * key order, unknown fields, env on other containers) and moves that try to slip the change past
 * the policy in the same update (an exemption the change grants itself, the broker container
 * renamed or re-imaged so detection no longer finds it, a decoy container in its place).
 */
import type { KubeObject } from '../../../src/core/k8s-types';
import type { Operation } from '../../../src/policy/types';
import { DEFAULT_RULES } from '../../../src/policy/rules';
import { render, statefulSetWith } from '../../unit/policy/fixtures';
import type { Random } from './budget';
import { hostileString, type Json } from './hostile-values';
import { clone } from './mutate-json';

export interface DeniedChange {
  name: string;
  operation: Extract<Operation, 'CREATE' | 'UPDATE'>;
  oldObject?: KubeObject;
  object: KubeObject;
  /** The main container's name, as the chart renders it. */
  container: string;
}

type Obj = { [key: string]: Json };

function withSpec(object: KubeObject, spec: Obj): KubeObject {
  const copy = clone(object as Json) as Obj;
  copy.spec = { ...(copy.spec as Obj), ...spec };
  return copy;
}

export function deniedChanges(): DeniedChange[] {
  const kafka = (version: string, values: string) =>
    statefulSetWith(render(version, values), 'cp-kafka-broker');
  const zookeeper = (version: string, values: string) =>
    statefulSetWith(render(version, values), 'cp-zookeeper-server');
  const broker = kafka('0.6.1', 'default');
  return [
    {
      name: 'Kafka 3 → 1 brokers without a plan',
      operation: 'UPDATE',
      oldObject: broker,
      object: withSpec(broker, { replicas: 1 }),
      container: 'cp-kafka-broker',
    },
    {
      name: 'Kafka OrderedReady → Parallel',
      operation: 'UPDATE',
      oldObject: broker,
      object: kafka('0.6.1', 'parallel'),
      container: 'cp-kafka-broker',
    },
    {
      name: 'Kafka created with podManagementPolicy Parallel',
      operation: 'CREATE',
      object: kafka('0.6.1', 'parallel'),
      container: 'cp-kafka-broker',
    },
    {
      name: 'Kafka 2.5 → 2.7 (chart 0.5.0 → 0.6.1) without the protocol pin',
      operation: 'UPDATE',
      oldObject: kafka('0.5.0', 'default'),
      object: broker,
      container: 'cp-kafka-broker',
    },
    {
      name: 'Kafka RollingUpdate → OnDelete',
      operation: 'UPDATE',
      oldObject: broker,
      object: kafka('0.6.1', 'ondelete'),
      container: 'cp-kafka-broker',
    },
    {
      name: 'ZooKeeper ensemble 3 → 5 without acknowledgement',
      operation: 'UPDATE',
      oldObject: zookeeper('0.6.1', 'default'),
      object: zookeeper('0.6.1', 'zk5'),
      container: 'cp-zookeeper-server',
    },
  ];
}

/** Mutations that must never turn a denial into an allowance, and whether each fits CREATE. */
export const NOISE = [
  'foreign-annotations',
  'foreign-labels',
  'reordered-keys',
  'unknown-fields',
  'env-on-other-containers',
] as const;
/** An UPDATE that grants itself an exemption or hides the workload: judged as it was before. */
export const EVASIONS = [
  'exempt-annotation',
  'exempt-label',
  'selector-label',
  'rename-main-container',
  'reimage-main-container',
  'decoy-container',
  'drop-detection-label',
] as const;
export type IrrelevantMutation = (typeof NOISE)[number] | (typeof EVASIONS)[number];

const RULE_IDS = DEFAULT_RULES.map((r) => r.id);
/** Env names a careless rule might read from any container: Kafka's own. */
const ENV_NAMES = [
  'KAFKA_INTER_BROKER_PROTOCOL_VERSION',
  'KAFKA_LOG_MESSAGE_FORMAT_VERSION',
  'KAFKA_BROKER_ID',
  'KAFKA_MIN_INSYNC_REPLICAS',
  'KAFKA_DEFAULT_REPLICATION_FACTOR',
  'FUZZ_VALUE',
  'PATH',
];

function meta(object: Obj, where: 'object' | 'template'): Obj {
  const holder = where === 'object' ? object : (((object.spec as Obj).template as Obj) ?? {});
  return (holder.metadata ??= {}) as Obj;
}

function containersOf(object: Obj): Obj[] {
  const podSpec = ((object.spec as Obj).template as Obj).spec as Obj;
  return podSpec.containers as Obj[];
}

function shuffleKeys(value: Json, rng: Random): Json {
  if (Array.isArray(value)) return value.map((v) => shuffleKeys(v, rng));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  for (let i = entries.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [entries[i], entries[j]] = [entries[j] as [string, Json], entries[i] as [string, Json]];
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, shuffleKeys(v, rng)]));
}

/** Applies one mutation to `object` (the new object of `change`) and returns it. */
export function mutateIrrelevantly(
  rng: Random,
  change: DeniedChange,
  object: Obj,
  mutation: IrrelevantMutation,
): Obj {
  const main = containersOf(object).find((c) => c.name === change.container);
  switch (mutation) {
    case 'foreign-annotations':
    case 'foreign-labels': {
      const field = mutation === 'foreign-labels' ? 'labels' : 'annotations';
      const target = meta(object, rng.pick(['object', 'template']));
      const values = (target[field] as Obj | undefined) ?? {};
      for (let i = 0, n = 1 + rng.int(5); i < n; i++) {
        values[
          `${rng.pick(['fuzz.example.com', 'argocd.argoproj.io', 'app.kubernetes.io'])}/k${rng.int(1000)}`
        ] = rng.chance(0.5) ? hostileString(rng, 100) : String(rng.int(100));
      }
      target[field] = values;
      return object;
    }
    case 'reordered-keys':
      return shuffleKeys(object, rng) as Obj;
    case 'unknown-fields': {
      const places: Obj[] = [
        object,
        object.spec as Obj,
        meta(object, 'object'),
        ...containersOf(object),
      ];
      const place = rng.pick(places);
      place[`xFuzz${rng.int(1000)}`] = rng.pick<Json>([
        null,
        1,
        'x',
        [],
        {},
        { replicas: 1 },
        hostileString(rng, 50),
      ]);
      return object;
    }
    case 'env-on-other-containers': {
      // On a sidecar, or on a container added for the purpose: never the main container.
      const others = containersOf(object).filter((c) => c !== main);
      let target = others.length > 0 && rng.chance(0.7) ? rng.pick(others) : undefined;
      if (!target) {
        target = { name: `fuzz-sidecar-${rng.int(100)}`, image: 'busybox:1.36' };
        containersOf(object).push(target);
      }
      const env = (target.env as Json[] | undefined) ?? [];
      env.push({
        name: rng.pick(ENV_NAMES),
        value: rng.pick(['2.5', '2.7', '1', '0', hostileString(rng, 20)]),
      });
      target.env = env;
      return object;
    }
    case 'exempt-annotation':
    case 'exempt-label': {
      const field = mutation === 'exempt-label' ? 'labels' : 'annotations';
      const target = meta(object, rng.chance(0.8) ? 'object' : 'template');
      const values = (target[field] as Obj | undefined) ?? {};
      // Label values allow no spaces: a reason that fits both.
      values[`kafka-warden.io/exempt-${rng.pick(RULE_IDS)}`] = rng.pick([
        'CHG-1234',
        'fuzz',
        'approved',
      ]);
      target[field] = values;
      return object;
    }
    case 'selector-label': {
      // docs/policy.md's example policy exempts kafka-version for this label.
      const target = meta(object, 'object');
      target.labels = {
        ...((target.labels as Obj | undefined) ?? {}),
        'kafka-warden.io/upgrade-lab': 'true',
      };
      return object;
    }
    case 'rename-main-container':
      if (main)
        main.name = rng.pick([
          'kafka',
          'broker',
          `${change.container}-2`,
          change.container.toUpperCase(),
          'main',
        ]);
      return object;
    case 'reimage-main-container':
      if (main && typeof main.image === 'string') {
        const tag = main.image.split(':').pop() ?? 'latest';
        main.image = `${rng.pick(['registry.example.com/platform/kafka', 'bitnami/kafka', 'example/zk'])}:${tag}`;
      }
      return object;
    case 'decoy-container':
      // The real container renamed and a copy of the OLD main container in its place: detection
      // would judge the decoy, which does not change.
      if (main && change.oldObject) {
        const before = containersOf(clone(change.oldObject as Json) as Obj).find(
          (c) => c.name === change.container,
        );
        main.name = 'kafka-real';
        if (before) containersOf(object).unshift({ ...before, name: change.container });
      }
      return object;
    case 'drop-detection-label': {
      const labels = meta(object, 'template').labels as Obj | undefined;
      if (labels) delete labels.app;
      return object;
    }
  }
}
