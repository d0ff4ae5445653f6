/**
 * The probe as `serve` builds it (and as tests against a real cluster can): credentials from
 * files, read again for every new connection so a renewed client Secret is picked up; kafkajs
 * deadlines below the policy's so a question rarely outlives its rule.
 */
import { connectKafka, type KafkaLog } from './client';
import { readKafkaCredentials, type KafkaCredentialFiles } from './credentials';
import { KafkaClusterStateProbe, type KafkaProbeOptions } from './probe';

export interface ProbeFromFilesOptions extends Omit<KafkaProbeOptions, 'connect'> {
  credentials: KafkaCredentialFiles;
  log?: KafkaLog;
  /** Per connection attempt. Default 1500: a webhook answer has seconds, not minutes. */
  connectionTimeoutMs?: number;
  /** Per request. Default 5000. */
  requestTimeoutMs?: number;
}

export function kafkaProbeFromFiles(options: ProbeFromFilesOptions): KafkaClusterStateProbe {
  const { credentials, log, connectionTimeoutMs, requestTimeoutMs, ...probe } = options;
  // Read once now so a wrong directory or password fails at start-up, not at the first request.
  readKafkaCredentials(credentials);
  return new KafkaClusterStateProbe({
    ...probe,
    connect: async (brokers) =>
      connectKafka({
        brokers,
        ...readKafkaCredentials(credentials),
        ...(credentials.lookup ? { lookup: credentials.lookup } : {}),
        clientId: 'kafka-warden-webhook',
        connectionTimeoutMs: connectionTimeoutMs ?? 1500,
        requestTimeoutMs: requestTimeoutMs ?? 5000,
        retries: 1,
        ...(log ? { log } : {}),
      }),
  });
}
