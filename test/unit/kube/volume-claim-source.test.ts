/**
 * The PersistentVolumeClaim list broker-scaling reads on a CREATE of brokers: one GET of the
 * namespace's claims, names only; an answer other than 200 is a failure the rule reports.
 */
import type { KubeApi, KubeResponse } from '../../../src/kube/kube-api';
import { kubeVolumeClaimSource } from '../../../src/kube/volume-claim-source';

function api(answer: KubeResponse<unknown>): KubeApi & { paths: string[] } {
  const paths: string[] = [];
  return {
    server: 'https://fake',
    paths,
    request<T>(method: string, path: string) {
      paths.push(`${method} ${path}`);
      return Promise.resolve(answer as KubeResponse<T>);
    },
    watch: () => Promise.resolve(),
  };
}

const signal = new AbortController().signal;

describe('kubeVolumeClaimSource', () => {
  test('lists the claims of the namespace and keeps their names', async () => {
    const fake = api({
      status: 200,
      body: {
        items: [
          { metadata: { name: 'datadir-0-my-cp-cp-kafka-0' } },
          { metadata: { name: 'datadir-0-my-cp-cp-kafka-1' } },
          { metadata: {} },
        ],
      },
    });
    const names = await kubeVolumeClaimSource(fake).listClaimNames('kafka', signal);
    expect(names).toEqual(['datadir-0-my-cp-cp-kafka-0', 'datadir-0-my-cp-cp-kafka-1']);
    expect(fake.paths).toEqual(['GET /api/v1/namespaces/kafka/persistentvolumeclaims']);
  });

  test('rejects with the API server message when the list is refused', async () => {
    const fake = api({ status: 403, body: { message: 'persistentvolumeclaims is forbidden' } });
    await expect(kubeVolumeClaimSource(fake).listClaimNames('kafka', signal)).rejects.toThrow(
      'HTTP 403: persistentvolumeclaims is forbidden',
    );
  });
});
