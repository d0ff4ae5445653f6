/**
 * Reading a broker's listeners as the Confluent image configures Kafka: the forms start scripts and
 * env take in cp-helm-charts, kafka-warden's injection and hand-written StatefulSets.
 */
import type { Container } from '../../../src/core/k8s-types';
import { readBrokerListeners } from '../../../src/policy/broker-listeners';

const script = (text: string): Partial<Container> => ({ command: ['sh', '-exc', text] });

describe('readBrokerListeners', () => {
  test.each<[string, Partial<Container>, string[], string]>([
    [
      "the chart's export, whose value holds spaces, ends at &&",
      script(
        'export KAFKA_BROKER_ID=${HOSTNAME##*-} && \\\nexport KAFKA_ADVERTISED_LISTENERS=PLAINTEXT://${POD_IP}:9092,EXTERNAL://${HOST_IP}:$((31090 + ${KAFKA_BROKER_ID})) && \\\nexec /etc/confluent/docker/run\n',
      ),
      ['PLAINTEXT', 'EXTERNAL'],
      'PLAINTEXT',
    ],
    [
      'a quoted export ended by ;',
      script('export KAFKA_ADVERTISED_LISTENERS="SSL://b:9093,PLAINTEXT://b:9092"; exec run'),
      ['SSL', 'PLAINTEXT'],
      'PLAINTEXT',
    ],
    [
      'the script in args, after a command without one',
      { command: ['sh', '-c'], args: ['export KAFKA_ADVERTISED_LISTENERS=SSL://b:9093\nexec run'] },
      ['SSL'],
      'PLAINTEXT',
    ],
    [
      'the last export wins',
      script(
        'export KAFKA_ADVERTISED_LISTENERS=PLAINTEXT://a:1 && export KAFKA_ADVERTISED_LISTENERS=SSL://a:2 && run',
      ),
      ['SSL'],
      'PLAINTEXT',
    ],
    [
      'env only: KAFKA_LISTENERS when nothing advertises, lower-case names upper-cased',
      {
        env: [
          { name: 'KAFKA_LISTENERS', value: 'internal://:9092' },
          { name: 'KAFKA_LISTENER_SECURITY_PROTOCOL_MAP', value: 'internal:ssl' },
          { name: 'KAFKA_INTER_BROKER_LISTENER_NAME', value: 'internal' },
        ],
      },
      ['INTERNAL'],
      'INTERNAL',
    ],
  ])('%s', (_name, container, names, interBroker) => {
    const reading = readBrokerListeners({ name: 'b', ...container });
    expect(reading.known).toBe(true);
    if (!reading.known) return;
    expect([...reading.listeners.advertised.keys()]).toEqual(names);
    expect(reading.listeners.interBroker.name).toBe(interBroker);
  });

  test.each<[string, Partial<Container>, string]>([
    ['no listeners anywhere', {}, 'neither the start script nor the env'],
    [
      'a script that computes them another way',
      script('KAFKA_ADVERTISED_LISTENERS=$(compute) exec run'),
      'in a form kafka-warden does not read',
    ],
    [
      'an entry that is not NAME://host:port',
      script('export KAFKA_ADVERTISED_LISTENERS=${LISTENERS} && run'),
      'is not NAME://host:port',
    ],
    [
      'more listeners than any broker has',
      script(
        `export KAFKA_ADVERTISED_LISTENERS=${Array.from({ length: 65 }, (_, i) => `L${i}://h:${i}`).join(',')} && run`,
      ),
      'more than 64',
    ],
    ['a start script beyond the length read', script(`#${'x'.repeat(100_001)}`), 'longer than'],
  ])('unknown, saying why: %s', (_name, container, reason) => {
    const reading = readBrokerListeners({ name: 'b', ...container });
    expect(reading.known).toBe(false);
    expect(reading.known ? '' : reading.reason).toContain(reason);
  });
});
