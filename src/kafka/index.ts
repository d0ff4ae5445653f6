/**
 * Live Kafka access for `serve` (the cluster-state probe) and `plan`. Loaded by those commands
 * alone (a dynamic import), so the post-renderer never pays for kafkajs at start-up.
 */
export {
  connectKafka,
  kafkaErrorText,
  type ClusterMetadata,
  type KafkaAdmin,
  type KafkaClientOptions,
  type KafkaLog,
  type PartitionInfo,
} from './client';
export {
  checkCredentialFiles,
  readKafkaCredentials,
  type KafkaCredentialFiles,
  type KafkaCredentials,
} from './credentials';
export { assessPartitions, replicasOn } from './health';
export {
  bootstrapAddresses,
  checkBootstrapTemplate,
  DEFAULT_BOOTSTRAP_TEMPLATE,
  DEFAULT_CONFIG_TTL_MS,
  KafkaClusterStateProbe,
  type KafkaProbeOptions,
  type ProbeOutcome,
  type ProbeQuestion,
} from './probe';
export { kafkaProbeFromFiles, type ProbeFromFilesOptions } from './start-probe';
export { clientTlsOptions, type ClientTlsOptions } from './tls';
