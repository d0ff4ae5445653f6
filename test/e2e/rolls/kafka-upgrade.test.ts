/**
 * Kafka 2.7 → 3.9 in ZooKeeper mode under load, the documented way (../shared/DOMAIN.md §3), with
 * kafka-warden: roll 1 pins `inter.broker.protocol.version` (and `log.message.format.version`) to
 * 2.7 on the running 2.7 brokers; roll 2 changes the image to Confluent Platform 7.9 (Kafka 3.9,
 * the pin kept); roll 3 bumps the protocol to 3.9. After it, every broker runs 3.9.1 jars. The
 * roll gate judges every roll (a 2.7 and a 3.9 cluster, and the mixed one between): no send fails,
 * no second passes below min ISR.
 */
import { readFileSync } from 'node:fs';
import { CHART_VALUES, RollScenario, WARDEN, withRollGate } from './harness/scenario';

const PIN = [
  'cp-kafka.configurationOverrides.inter\\.broker\\.protocol\\.version=2.7',
  'cp-kafka.configurationOverrides.log\\.message\\.format\\.version=2.7',
];

test('2.7 → 3.9 with the protocol pin, then the bump: three rolls under load, nothing lost or duplicated', async () => {
  const scenario = await RollScenario.start({
    namespace: 'rolls-upgrade',
    warden: withRollGate(WARDEN),
    set: CHART_VALUES,
  });
  try {
    const upgrade = (set: string[]) => async () => {
      const run = await scenario.release.upgrade({ set });
      if (run.status !== 0) throw new Error(`helm upgrade: ${run.stdout}${run.stderr}`);
    };
    const pin = await scenario.roll('Kafka 2.7→3.9, roll 1: protocol pinned to 2.7', upgrade(PIN));
    const image = await scenario.roll(
      'Kafka 2.7→3.9, roll 2: image 7.9 (Kafka 3.9), pin kept',
      upgrade(['cp-kafka.imageTag=7.9.0']),
    );
    const bump = await scenario.roll(
      'Kafka 2.7→3.9, roll 3: protocol bumped to 3.9',
      upgrade(['cp-kafka.configurationOverrides.inter\\.broker\\.protocol\\.version=3.9']),
    );
    const results = await scenario.finish([pin, image, bump]);
    for (const result of results) {
      expect(result.gated).toBe(true);
      expect(result.brokersTerminated).toBe(3);
      expect(result.failedSends).toBe(0);
      expect(result.belowMinIsrSeconds).toBe(0);
      expect(result.lost).toBe(0);
      expect(result.duplicated).toBe(0);
    }
    // Every broker now runs Kafka 3.9.1 with the protocol at 3.9.
    for (const ordinal of [0, 1, 2]) {
      const log = readFileSync(
        scenario.cluster.agent.logFile(
          'rolls-upgrade',
          `my-cp-cp-kafka-${ordinal}`,
          'cp-kafka-broker',
        ),
        'utf8',
      );
      expect(log).toMatch(/Kafka version: 3\.9\.1/);
      expect(log).toMatch(/inter\.broker\.protocol\.version = 3\.9/);
    }
  } finally {
    await scenario.stop();
  }
}, 3_000_000);
