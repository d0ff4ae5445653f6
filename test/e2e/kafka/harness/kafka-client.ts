/**
 * kafkajs clients of a harness cluster. Broker addresses are the advertised pod DNS names; the
 * socket factory resolves them through the pod network's table (never the system resolver) while
 * TLS keeps the dialled name as SNI and for hostname verification, which Node does by default.
 */
import net from 'node:net';
import tls from 'node:tls';
import { Kafka, logLevel, type ISocketFactory, type SASLOptions } from 'kafkajs';
import type { PodNetwork } from './pod-network';
import type { ClientMaterial } from './tls-material';

export interface ClientOptions {
  brokers: string[];
  network: PodNetwork;
  /**
   * `mtls`: CA + the client certificate kafka-warden issued; `server-only`: CA only (no client
   * certificate); null: PLAINTEXT.
   */
  tls: 'mtls' | 'server-only' | null;
  material: ClientMaterial;
  sasl?: SASLOptions;
  clientId?: string;
  /** Bounded everywhere: a refused or dead broker must fail a test, not hang it. */
  connectionTimeout?: number;
  requestTimeout?: number;
  retries?: number;
}

const KEEP_ALIVE_DELAY = 60_000;

export function kafkaClient(options: ClientOptions): Kafka {
  const socketFactory: ISocketFactory = ({ host, port, ssl, onConnect }) => {
    const socket =
      ssl && typeof ssl === 'object'
        ? tls.connect(
            { ...ssl, host, port, servername: host, lookup: options.network.lookup },
            onConnect,
          )
        : net.connect({ host, port, lookup: options.network.lookup }, onConnect);
    socket.setKeepAlive(true, KEEP_ALIVE_DELAY);
    return socket;
  };
  const { material } = options;
  const ssl: tls.ConnectionOptions | undefined =
    options.tls === null
      ? undefined
      : {
          ca: [material.caPem],
          ...(options.tls === 'mtls'
            ? { key: material.keyPem, cert: material.certificatePem }
            : {}),
          // Explicit, though it is Node's default: hostname verification against the pod DNS name.
          rejectUnauthorized: true,
        };
  return new Kafka({
    clientId: options.clientId ?? 'kafka-warden-e2e',
    brokers: options.brokers,
    ...(ssl ? { ssl } : {}),
    ...(options.sasl ? { sasl: options.sasl } : {}),
    socketFactory,
    connectionTimeout: options.connectionTimeout ?? 5_000,
    authenticationTimeout: 5_000,
    requestTimeout: options.requestTimeout ?? 15_000,
    retry: { retries: options.retries ?? 5, initialRetryTime: 200, maxRetryTime: 2_000 },
    logLevel: logLevel.NOTHING,
  });
}
