/** The default rule set, in the order findings are reported. */
import type { Rule } from '../rule';
import { brokerScaling } from './broker-scaling';
import { configSanity } from './config-sanity';
import { deleteProtection } from './delete-protection';
import { kafkaVersion } from './kafka-version';
import { listenerMigration } from './listener-migration';
import { orderedReady } from './ordered-ready';
import { rollingRestart } from './rolling-restart';
import { updateStrategy } from './update-strategy';
import { workloadIdentity } from './workload-identity';
import { zookeeperEnsemble } from './zookeeper-ensemble';

export const DEFAULT_RULES: readonly Rule[] = [
  orderedReady,
  updateStrategy,
  brokerScaling,
  rollingRestart,
  zookeeperEnsemble,
  kafkaVersion,
  listenerMigration,
  deleteProtection,
  configSanity,
  workloadIdentity,
];

export const RULE_IDS: readonly string[] = DEFAULT_RULES.map((rule) => rule.id);
