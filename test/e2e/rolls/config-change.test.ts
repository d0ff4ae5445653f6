/**
 * A broker configuration change rolled by the real StatefulSet controller under load, with
 * kafka-warden and with the stock chart (docs/rolls.md). Asserted for both: the controller really
 * rolled every broker (SIGTERM, a new pod), nothing acknowledged was lost, nothing duplicated (the
 * producer is idempotent). kafka-warden runs with its roll gate (`rollGate.enabled` and `serve
 * --roll-gate`, as the chart runs them): no send fails and no second passes with a partition below
 * min ISR. The stock chart's numbers are recorded as they are.
 */
import {
  CHART_VALUES,
  RollScenario,
  WARDEN,
  withRollGate,
  type RollResult,
} from './harness/scenario';
import { apiRequest } from '../../support/control-plane';
import { BROKER_STS } from '../../support/node-agent/cp-release';
import { GATE_CONDITION } from './harness/roll-gate';

const CHANGE = 'cp-kafka.configurationOverrides.log\\.retention\\.hours=169';

/** The broker template's readiness gates as the API server has them after the roll. */
async function readinessGates(scenario: RollScenario): Promise<string[]> {
  const res = await apiRequest<{
    spec: { template: { spec: { readinessGates?: { conditionType: string }[] } } };
  }>(
    scenario.cluster.cp,
    'GET',
    `/apis/apps/v1/namespaces/${scenario.release.namespace}/statefulsets/${BROKER_STS}`,
  );
  return (res.body.spec.template.spec.readinessGates ?? []).map((g) => g.conditionType);
}

async function configChangeRoll(warden: boolean): Promise<{ result: RollResult; gates: string[] }> {
  const scenario = await RollScenario.start({
    namespace: warden ? 'rolls-warden' : 'rolls-stock',
    warden: warden ? withRollGate(WARDEN) : null,
    set: CHART_VALUES,
  });
  try {
    const roll = await scenario.roll('broker configuration change', async () => {
      const run = await scenario.release.upgrade({ set: [CHANGE] });
      if (run.status !== 0) throw new Error(`helm upgrade: ${run.stdout}${run.stderr}`);
    });
    const [result] = await scenario.finish([roll]);
    if (!result) throw new Error('no result');
    return { result, gates: await readinessGates(scenario) };
  } finally {
    await scenario.stop();
  }
}

test('kafka-warden with the roll gate: a broker configuration change rolls every broker under load, no send failed, no second below min ISR, nothing lost or duplicated', async () => {
  const { result, gates } = await configChangeRoll(true);
  expect(gates).toEqual([GATE_CONDITION]);
  expect(result.gated).toBe(true);
  expect(result.brokersTerminated).toBe(3);
  expect(result.sent).toBeGreaterThan(100);
  expect(result.failedSends).toBe(0);
  expect(result.belowMinIsrSeconds).toBe(0);
  expect(result.minIsrSeen).toBeGreaterThanOrEqual(2);
  expect(result.lost).toBe(0);
  expect(result.duplicated).toBe(0);
}, 1_800_000);

test('stock chart (comparison): the same change rolled under the same load', async () => {
  const { result } = await configChangeRoll(false);
  expect(result.brokersTerminated).toBe(3);
  expect(result.sent).toBeGreaterThan(100);
  // Acknowledged by all in-sync replicas: never lost, whatever the roll did to availability.
  expect(result.lost).toBe(0);
  expect(result.duplicated).toBe(0);
}, 1_800_000);
