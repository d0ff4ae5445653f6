/**
 * Broker settings that make the cluster fragile or unusable, read from the env the Confluent image
 * turns into server.properties. Each check has its own default mode: settings that make writes or
 * topic creation fail are enforced, risky trade-offs (unclean leader election, a Kafka default
 * that only some features need) are warnings. A mode set in the policy applies to all checks;
 * `parameters.modes` sets them one by one.
 */
import { describeSetting, readSetting } from '../broker-settings';
import { pass, skip, subject, type Rule, type RuleResult } from '../rule';
import type { Mode } from '../types';
import type { WorkloadView } from '../workload';

export type ConfigCheck =
  | 'min-insync-replicas'
  | 'replication-above-brokers'
  | 'default-replication-above-brokers'
  | 'unclean-leader-election';

export interface ConfigSanityParameters {
  modes: Partial<Record<ConfigCheck, Mode>>;
}

const CHECK_MODES: Record<ConfigCheck, Mode> = {
  'min-insync-replicas': 'enforce',
  'replication-above-brokers': 'enforce',
  'default-replication-above-brokers': 'warn',
  'unclean-leader-election': 'warn',
};

/** A replication factor, the min.insync.replicas that goes with it, and Kafka's defaults. */
interface ReplicationSetting {
  factor: string;
  factorDefault: number;
  minInsync: string;
  minInsyncDefault: number;
  /** What fails when the factor exceeds the broker count. */
  consequence: string;
}

const REPLICATION: readonly ReplicationSetting[] = [
  {
    factor: 'default.replication.factor',
    factorDefault: 1,
    minInsync: 'min.insync.replicas',
    minInsyncDefault: 1,
    consequence: 'automatic topic creation and topics created without a replication factor fail',
  },
  {
    factor: 'offsets.topic.replication.factor',
    factorDefault: 3,
    minInsync: 'min.insync.replicas',
    minInsyncDefault: 1,
    consequence: 'the consumer offsets topic cannot be created, so consumer groups do not work',
  },
  {
    factor: 'transaction.state.log.replication.factor',
    factorDefault: 3,
    minInsync: 'transaction.state.log.min.isr',
    minInsyncDefault: 2,
    consequence:
      'the transaction state topic cannot be created, so transactional and exactly-once producers fail',
  },
];

type Value = { value: number; explicit: boolean } | { unreadable: string };

export const configSanity: Rule<ConfigSanityParameters> = {
  id: 'config-sanity',
  title: 'min.insync.replicas, replication factors and unclean leader election make sense',
  defaultMode: 'enforce',
  defaultParameters: { modes: {} },
  roles: ['kafka'],
  operations: ['CREATE', 'UPDATE'],
  evaluate(context) {
    const { current } = context;
    if (!current) return [];
    const results = [
      ...REPLICATION.flatMap((setting) => checkReplication(current, setting)),
      checkUncleanElection(current),
    ];
    // Every result here is a fresh object: its mode is set in place.
    for (const result of results) {
      const check = result.check as ConfigCheck;
      result.mode = context.parameters.modes[check] ?? context.configuredMode ?? CHECK_MODES[check];
    }
    return results;
  },
};

function checkReplication(view: WorkloadView, setting: ReplicationSetting): RuleResult[] {
  const factor = numeric(view, setting.factor, setting.factorDefault);
  const minInsync = numeric(view, setting.minInsync, setting.minInsyncDefault);
  if ('unreadable' in factor || 'unreadable' in minInsync) {
    const problem =
      'unreadable' in factor ? factor.unreadable : (minInsync as { unreadable: string }).unreadable;
    return [checked(skip(problem), 'replication-above-brokers')];
  }
  const brokers = view.replicas;
  const results: RuleResult[] = [];
  const name = describeSetting(setting.factor);
  if (factor.value > brokers) {
    const check = factor.explicit
      ? 'replication-above-brokers'
      : 'default-replication-above-brokers';
    const origin = factor.explicit ? `sets ${name} to` : `leaves ${name} at Kafka's default of`;
    results.push({
      outcome: 'fail',
      check,
      summary: `${setting.factor} ${factor.value} > ${brokers} broker(s)`,
      message:
        `${subject(view)} ${origin} ${factor.value} but runs ${brokers} broker(s): ` +
        `${setting.consequence} ("replication factor larger than available brokers"). To proceed: ` +
        `set ${name} to at most ${brokers}, or run at least ${factor.value} brokers.`,
    });
  } else {
    results.push(
      checked(
        pass(`${setting.factor} ${factor.value} ≤ ${brokers} broker(s)`),
        'replication-above-brokers',
      ),
    );
  }
  const never = minInsync.value > factor.value;
  // Defaults on both sides are Kafka's own choice, and with a factor of 1 the factor itself, not
  // min.insync.replicas, is what leaves no room for a broker to be down.
  const noRoom = minInsync.value === factor.value && factor.value > 1;
  if ((factor.explicit || minInsync.explicit) && (never || noRoom)) {
    results.push({
      outcome: 'fail',
      check: 'min-insync-replicas',
      summary: `${setting.minInsync} ${minInsync.value} ${never ? '>' : '='} ${setting.factor} ${factor.value}`,
      message:
        `${subject(view)} sets ${describeSetting(setting.minInsync)} to ${minInsync.value} with ` +
        `${name} ${factor.value}: ` +
        (never
          ? `no acks=all write can ever succeed, as a partition never has that many in-sync replicas.`
          : `no replica may ever be down, so every rolling restart (one broker at a time) makes ` +
            `acks=all producers fail with NotEnoughReplicas.`) +
        ` To proceed: keep ${setting.minInsync} below the replication factor (RF 3 with ` +
        `min.insync.replicas 2 is the usual choice).`,
    });
  } else {
    results.push(
      checked(
        pass(
          `${setting.minInsync} ${minInsync.value} < ${setting.factor} ${factor.value} or both defaults`,
        ),
        'min-insync-replicas',
      ),
    );
  }
  return results;
}

function checkUncleanElection(view: WorkloadView): RuleResult {
  const property = 'unclean.leader.election.enable';
  const setting = readSetting(view.container, property);
  const enabled = setting.state === 'literal' && setting.value.toLowerCase() === 'true';
  if (!enabled) return checked(pass('unclean leader election disabled'), 'unclean-leader-election');
  return {
    outcome: 'fail',
    check: 'unclean-leader-election',
    summary: 'unclean leader election is enabled: a failover can silently lose acknowledged writes',
    message:
      `${subject(view)} sets ${describeSetting(property)} to true: when no in-sync replica is left, ` +
      `an out-of-sync one becomes leader and the messages it never received are gone, though ` +
      `producers were told they were written. To proceed: remove it (Kafka's default is false) ` +
      `unless availability matters more than data for every topic; enable it per topic instead.`,
  };
}

function checked(result: RuleResult, check: ConfigCheck): RuleResult {
  result.check = check;
  return result;
}

function numeric(view: WorkloadView, property: string, fallback: number): Value {
  const setting = readSetting(view.container, property);
  if (setting.state === 'absent') return { value: fallback, explicit: false };
  if (setting.state === 'indirect') {
    return { unreadable: `${property} comes from valueFrom: cannot check it` };
  }
  const value = Number(setting.value);
  if (!Number.isInteger(value) || value < 1) {
    return { unreadable: `${property} "${setting.value}" is not a positive whole number` };
  }
  return { value, explicit: true };
}
