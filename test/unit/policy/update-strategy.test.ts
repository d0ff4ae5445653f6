import type { KubeObject } from '../../../src/core/k8s-types';
import { parsePolicy } from '../../../src/config/load-policy';
import { resolveMaxUnavailable } from '../../../src/policy/rules/update-strategy';
import { create, findingOf, kafka, update, zookeeper } from './fixtures';

function rolling(maxUnavailable: unknown, replicas = 3): KubeObject {
  return kafka({
    replicas,
    spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable } } },
  });
}

const CASES: [name: string, object: KubeObject, outcome: string, mentions: string[]][] = [
  ['given the default RollingUpdate, passes', kafka(), 'pass', []],
  [
    'given no updateStrategy at all (RollingUpdate by default), passes',
    kafka({ spec: { updateStrategy: undefined } }),
    'pass',
    [],
  ],
  [
    'given an OnDelete update strategy, denies with the RollingUpdate remedy',
    kafka({ spec: { updateStrategy: { type: 'OnDelete' } } }),
    'fail',
    ['OnDelete', 'one at a time', 'RollingUpdate', 'cp-kafka.updateStrategy'],
  ],
  [
    'given OnDelete on ZooKeeper, denies and names the ZooKeeper chart value',
    zookeeper({ spec: { updateStrategy: { type: 'OnDelete' } } }),
    'fail',
    ['cp-zookeeper.updateStrategy'],
  ],
  ['given maxUnavailable 1, passes', rolling(1), 'pass', []],
  [
    'given maxUnavailable 2, denies: two brokers down break min.insync.replicas 2',
    rolling(2),
    'fail',
    ['maxUnavailable: 2', '2 brokers down', 'min.insync.replicas', 'at most 1'],
  ],
  ['given maxUnavailable 34% of 3 (rounded up to 2), denies', rolling('34%'), 'fail', ['"34%"']],
  ['given maxUnavailable 20% of 5 (1), passes', rolling('20%', 5), 'pass', []],
  [
    'given an unreadable maxUnavailable, skips and says so',
    rolling('two'),
    'skip',
    ['cannot read'],
  ],
  [
    'given maxUnavailable 2 on ZooKeeper, denies: the quorum is at stake',
    zookeeper({ spec: { updateStrategy: { rollingUpdate: { maxUnavailable: 2 } } } }),
    'fail',
    ['quorum'],
  ],
];

describe('rule update-strategy', () => {
  test.each(CASES)('%s', async (_name, object, outcome, mentions) => {
    const finding = await findingOf('update-strategy', create(object));
    expect(finding.outcome).toBe(outcome);
    for (const text of mentions) expect(`${finding.summary}\n${finding.message}`).toContain(text);
  });

  test('given the policy parameter maxUnavailable 2, allows two at once but not three', async () => {
    const policy = parsePolicy(
      'rules:\n  update-strategy:\n    parameters: {maxUnavailable: 2}\n',
      'p.yaml',
    );
    expect(
      (await findingOf('update-strategy', update(kafka(), rolling(2)), { policy })).outcome,
    ).toBe('pass');
    const three = await findingOf('update-strategy', update(kafka(), rolling(3, 5)), { policy });
    expect(three.outcome).toBe('fail');
    expect(three.message).toContain('at most 2');
  });

  test.each([
    [1, 3, 1],
    ['50%', 3, 2],
    ['1%', 3, 1],
    ['100%', 5, 5],
    [0, 3, 1],
  ] as const)('maxUnavailable %p of %i replicas means %i pod(s)', (raw, replicas, expected) => {
    expect(resolveMaxUnavailable(raw, replicas)).toBe(expected);
  });
});
