/**
 * A stock cp-helm-charts release moved to TLS under load, as docs/design.md says an existing
 * cluster must be: two rolls. First `helm upgrade --post-renderer kafka-warden` with
 * `tls.interBrokerListener: PLAINTEXT` (every broker gains the SSL listener, replication stays on
 * PLAINTEXT), then the default (`SSL`: replication moves to TLS). Clients stay on PLAINTEXT
 * (keepPlaintext) throughout; after the second roll a TLS client with the issued certificate works.
 *
 * The roll gate comes on with the second roll: it reads the cluster over the TLS listener, which
 * the first roll is still adding (docs/design.md, "The roll gate": turned on in the roll that adds
 * the listener, it cannot read the brokers that lack it and holds the roll). The first roll is
 * judged by the TCP probe alone, its numbers recorded; the second is asserted: no failed send, no
 * second below min ISR.
 */
import { consumeAll, produceNumbered } from '../kafka/harness/client-ops';
import { CHART_VALUES, RollScenario, WARDEN, withRollGate } from './harness/scenario';

test('PLAINTEXT to TLS in two rolls under load: every broker rolled twice, nothing lost or duplicated, TLS serving after', async () => {
  const scenario = await RollScenario.start({
    namespace: 'rolls-tls',
    warden: null,
    set: CHART_VALUES,
  });
  try {
    const first = await scenario.roll(
      'PLAINTEXT→TLS, roll 1: SSL listener added, replication on PLAINTEXT',
      () => scenario.upgradeWarden({ ...WARDEN, tls: { interBrokerListener: 'PLAINTEXT' } }),
    );
    expect(first.gated).toBe(false);
    const second = await scenario.roll('PLAINTEXT→TLS, roll 2: replication moved to SSL', () =>
      scenario.upgradeWarden(withRollGate(WARDEN)),
    );
    const results = await scenario.finish([first, second]);
    for (const result of results) {
      expect(result.brokersTerminated).toBe(3);
      expect(result.lost).toBe(0);
      expect(result.duplicated).toBe(0);
    }
    const gatedRoll = results[1];
    expect(gatedRoll?.gated).toBe(true);
    expect(gatedRoll?.failedSends).toBe(0);
    expect(gatedRoll?.belowMinIsrSeconds).toBe(0);
    const tls = scenario.release.kafka({ tls: true, clientId: 'after-migration' });
    await produceNumbered(tls, 'rolls', 10);
    expect((await consumeAll(tls, 'rolls', 10)).length).toBeGreaterThanOrEqual(10);
  } finally {
    await scenario.stop();
  }
}, 2_400_000);
