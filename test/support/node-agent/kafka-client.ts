/**
 * kafkajs clients of a release under the node agent: broker names resolve through the agent's
 * cluster DNS (never the system resolver), so a broker that is not published (not Ready, without
 * publishNotReadyAddresses) is unreachable to clients as in a cluster. TLS (port 9093) with the
 * client certificate kafka-warden issued, hostname verification on.
 */
import net from 'node:net';
import tls from 'node:tls';
import { Kafka, logLevel, type ISocketFactory } from 'kafkajs';
import type { ClientMaterial } from '../../e2e/kafka/harness/tls-material';
import type { ClusterDns } from './dns';

export function agentKafka(options: {
  brokers: string[];
  dns: ClusterDns;
  material: ClientMaterial | null;
  clientId?: string;
}): Kafka {
  const socketFactory: ISocketFactory = ({ host, port, ssl, onConnect }) => {
    const socket =
      ssl && typeof ssl === 'object'
        ? tls.connect(
            { ...ssl, host, port, servername: host, lookup: options.dns.lookup },
            onConnect,
          )
        : net.connect({ host, port, lookup: options.dns.lookup }, onConnect);
    socket.setKeepAlive(true, 60_000);
    return socket;
  };
  const { material } = options;
  return new Kafka({
    clientId: options.clientId ?? 'kafka-warden-agent',
    brokers: options.brokers,
    ...(material
      ? {
          ssl: {
            ca: [material.caPem],
            key: material.keyPem,
            cert: material.certificatePem,
            rejectUnauthorized: true,
          },
        }
      : {}),
    socketFactory,
    connectionTimeout: 5_000,
    authenticationTimeout: 5_000,
    requestTimeout: 15_000,
    retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 2_000 },
    logLevel: logLevel.NOTHING,
  });
}
