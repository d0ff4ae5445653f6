import { WardenError } from '../../../src/core/errors';
import { withAdvertisedListeners } from '../../../src/core/start-command';

const CHART_SCRIPT = [
  'export KAFKA_BROKER_ID=${HOSTNAME##*-} && \\',
  'export KAFKA_ADVERTISED_LISTENERS=PLAINTEXT://${POD_NAME}.rel-cp-kafka-headless.${POD_NAMESPACE}:9092,EXTERNAL://${HOST_IP}:$((31090 + ${KAFKA_BROKER_ID})) && \\',
  'exec /etc/confluent/docker/run',
  '',
].join('\n');
const NEW = 'SSL://${POD_NAME}.h.${POD_NAMESPACE}:9093';

describe('the broker start command', () => {
  test("given the chart's script, replaces only the advertised listeners line", () => {
    const [shell, flags, script] = withAdvertisedListeners(
      ['sh', '-exc', CHART_SCRIPT],
      NEW,
      'sts',
    );
    expect([shell, flags]).toEqual(['sh', '-exc']);
    const lines = (script ?? '').split('\n');
    expect(lines[0]).toBe('export KAFKA_BROKER_ID=${HOSTNAME##*-} && \\');
    expect(lines[1]).toBe(`export KAFKA_ADVERTISED_LISTENERS=${NEW} && \\`);
    expect(lines[2]).toBe('exec /etc/confluent/docker/run');
    expect(script).not.toContain('EXTERNAL://');
  });

  test('given no command, writes the chart-shaped script', () => {
    const command = withAdvertisedListeners(undefined, NEW, 'pod');
    expect(command.slice(0, 2)).toEqual(['sh', '-exc']);
    expect(command[2]).toContain('KAFKA_BROKER_ID=${HOSTNAME##*-}');
    expect(command[2]).toContain(`KAFKA_ADVERTISED_LISTENERS=${NEW}`);
  });

  test('given a script that runs the image without setting listeners, inserts them before the run', () => {
    const script = 'echo starting\nexec /etc/confluent/docker/run\n';
    const [, , out] = withAdvertisedListeners(['bash', '-c', script], NEW, 'pod');
    const lines = (out ?? '').split('\n');
    expect(lines[0]).toBe('echo starting');
    expect(lines[1]).toContain('export KAFKA_BROKER_ID=');
    expect(lines[2]).toBe(`export KAFKA_ADVERTISED_LISTENERS=${NEW} && \\`);
    expect(lines[3]).toBe('exec /etc/confluent/docker/run');
  });

  test.each([
    [['/usr/bin/start-kafka']],
    [['sh', 'run.sh']],
    [['sh', '-c', 'exec my-own-launcher']],
  ])('given %j, refuses with KW_BROKER_COMMAND naming the workload', (command) => {
    expect(() => withAdvertisedListeners(command, NEW, 'StatefulSet x')).toThrow(WardenError);
    expect(() => withAdvertisedListeners(command, NEW, 'StatefulSet x')).toThrow(/StatefulSet x/);
  });
});
