/**
 * The harness refuses what the real pod would not run, before any JVM starts: a broker Secret
 * missing its keystore key (the image's `dub path … exists`), a broker Secret that does not exist
 * (the kubelet keeps the pod in ContainerCreating), a SASL broker whose JAAS Secret is missing.
 */
import path from 'node:path';
import { loadConfigFile } from '../../../src/config/load-config';
import type { KubeObject } from '../../../src/core/k8s-types';
import { GOLDEN_DIR } from '../../golden/cases';
import { startKafkaCluster } from './harness/cluster';
import { ImageRefusal } from './harness/image-contract';
import { liveProcesses } from './harness/processes';
import { VolumeError } from './harness/volumes';

jest.setTimeout(60_000);

const tlsOnly = loadConfigFile(path.join(GOLDEN_DIR, 'configs', 'tls-only.yaml'));
const saslTlsOnly = loadConfigFile(path.join(GOLDEN_DIR, 'configs', 'sasl-tls-only.yaml'));

function removeSecret(name: string) {
  return (secrets: KubeObject[]) => {
    const at = secrets.findIndex((s) => s.metadata?.name === name);
    if (at < 0) throw new Error(`no Secret ${name} to remove`);
    secrets.splice(at, 1);
  };
}

afterEach(() => {
  expect(liveProcesses()).toEqual([]);
});

test('a broker Secret without its keystore key: refused as the image refuses it, nothing started', async () => {
  const start = startKafkaCluster({
    version: '2.7.2',
    source: 'post-renderer',
    config: tlsOnly,
    editSecrets: (secrets) => {
      const broker = secrets.find((s) => s.metadata?.name === 'my-cp-cp-kafka-broker-tls');
      delete (broker?.data as Record<string, string>)['kafka.keystore.p12'];
    },
  });
  await expect(start).rejects.toThrow(ImageRefusal);
  await expect(start).rejects.toThrow(
    'Command [/usr/local/bin/dub path /etc/kafka/secrets/kafka.keystore.p12 exists] FAILED !',
  );
});

test('no broker Secret at all: refused as the kubelet refuses the volume', async () => {
  const start = startKafkaCluster({
    version: '2.7.2',
    source: 'post-renderer',
    config: tlsOnly,
    editSecrets: removeSecret('my-cp-cp-kafka-broker-tls'),
  });
  await expect(start).rejects.toThrow(VolumeError);
  await expect(start).rejects.toThrow(/Secret "my-cp-cp-kafka-broker-tls" not found/);
});

test('SASL without the JAAS Secret: refused, the pod cannot mount it', async () => {
  await expect(
    startKafkaCluster({
      version: '2.7.2',
      source: 'post-renderer',
      config: saslTlsOnly,
      editSecrets: removeSecret('my-cp-cp-kafka-jaas'),
    }),
  ).rejects.toThrow(/Secret "my-cp-cp-kafka-jaas" not found/);
});
