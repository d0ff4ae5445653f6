/**
 * Kafka version changes follow Kafka's rolling-upgrade procedure (ZooKeeper mode): pin
 * inter.broker.protocol.version (and, while the protocol is below 3.0, log.message.format.version)
 * to the running version, roll the new image, and only then bump the protocol in a separate change.
 * After the bump there is no way back. Confluent Platform 8 (Kafka 4) has no ZooKeeper mode at all.
 */
import { literalSetting, readSetting, describeSetting, type Setting } from '../broker-settings';
import {
  compareVersions,
  FIRST_KRAFT_ONLY_KAFKA_MAJOR,
  formatVersion,
  imageVersion,
  parseVersion,
  type KafkaVersion,
} from '../kafka-versions';
import { fail, pass, skip, subject, warn, type Rule, type RuleResult } from '../rule';
import type { WorkloadView } from '../workload';

const IBP = 'inter.broker.protocol.version';
const LMF = 'log.message.format.version';
/** From protocol 3.0 on, Kafka ignores log.message.format.version. */
const MESSAGE_FORMAT_IGNORED_FROM: KafkaVersion = { major: 3, minor: 0 };

export interface KafkaVersionParameters {
  /**
   * Require log.message.format.version to be pinned too while the protocol is below 3.0. Kafka's
   * upgrade notes make it optional when the format was never overridden (it has not changed since
   * 0.11); the default follows the conservative procedure.
   */
  requireMessageFormatPin: boolean;
}

export const kafkaVersion: Rule<KafkaVersionParameters> = {
  id: 'kafka-version',
  title: 'Kafka upgrades pin the inter-broker protocol to the running version; bump it separately',
  defaultMode: 'enforce',
  defaultParameters: { requireMessageFormatPin: true },
  roles: ['kafka'],
  operations: ['UPDATE'],
  evaluate({ current, previous, parameters }) {
    if (!current || !previous) return [];
    return [judge(previous, current, parameters)];
  },
};

interface Side {
  view: WorkloadView;
  image: string;
  version: KafkaVersion;
  ibp: Setting;
  lmf: Setting;
}

/** A change of a ZooKeeper-mode broker StatefulSet whose Kafka versions are both known. */
interface VersionChange {
  before: Side;
  after: Side;
  imageChanged: boolean;
  /** inter.broker.protocol.version in force before and after: the pinned one, or the software's. */
  oldProtocol: KafkaVersion;
  newProtocol: KafkaVersion;
}

function side(view: WorkloadView, version: KafkaVersion): Side {
  return {
    view,
    image: imageOf(view),
    version,
    ibp: readSetting(view.container, IBP),
    lmf: readSetting(view.container, LMF),
  };
}

function imageOf(view: WorkloadView): string {
  return view.container.image ?? '(no image)';
}

function judge(
  previous: WorkloadView,
  current: WorkloadView,
  parameters: KafkaVersionParameters,
): RuleResult {
  const oldImage = imageOf(previous);
  const newImage = imageOf(current);
  const imageChanged = oldImage !== newImage;
  const oldVersion = imageVersion(oldImage);
  const newVersion = imageVersion(newImage);

  if (imageChanged && zooKeeperMode(previous)) {
    const kraftOnly = newVersion.known
      ? newVersion.kafka.major >= FIRST_KRAFT_ONLY_KAFKA_MAJOR
      : newVersion.kraftOnly;
    const wasKraftOnly = oldVersion.known && oldVersion.kafka.major >= FIRST_KRAFT_ONLY_KAFKA_MAJOR;
    if (kraftOnly && !wasKraftOnly) return zooKeeperToKraftOnly(current, newImage);
  }
  if (!zooKeeperMode(previous) && !zooKeeperMode(current)) {
    return kraft(current, oldImage, newImage);
  }
  if (!oldVersion.known || !newVersion.known) {
    if (!imageChanged) return pass('broker image unchanged');
    const [image, reason] = newVersion.known
      ? [oldImage, oldVersion.known ? '' : oldVersion.reason]
      : [newImage, newVersion.reason];
    return warn(
      `cannot tell the Kafka version of ${image}; check the upgrade steps by hand`,
      `${subject(current)} changes the broker image from ${oldImage} to ${newImage}, but ` +
        `${reason}, so kafka-warden cannot check the upgrade. It knows Confluent Platform 4.0 ` +
        `to 8.0 tags (6.1.0, 6.1.0-1-ubi8) and apache/kafka tags. If the Kafka version changes, ` +
        `pin ${describeSetting(IBP)} to the running version in this change and bump it in a ` +
        `separate one after every broker rolled.`,
    );
  }
  const before = side(previous, oldVersion.kafka);
  const after = side(current, newVersion.kafka);

  const indirect = [before, after].some(
    (x) => x.ibp.state === 'indirect' || x.lmf.state === 'indirect',
  );
  if (indirect) {
    const result = imageChanged ? warn : skip;
    return result(
      'protocol settings come from valueFrom: cannot check the upgrade',
      `${subject(current)} sets ${IBP} or ${LMF} through valueFrom, whose value is not in the ` +
        `object. Check by hand that the protocol stays pinned to the running version while the ` +
        `image changes, and is bumped only in a separate change.`,
    );
  }
  const oldProtocol = effective(before, IBP);
  const newProtocol = effective(after, IBP);
  if (!oldProtocol || !newProtocol) {
    return warn(
      `${IBP} is not a version kafka-warden can read`,
      `${subject(current)}: ${IBP} is "${literalSetting(previous.container, IBP) ?? ''}" before and ` +
        `"${literalSetting(current.container, IBP) ?? ''}" after; expected a version like 2.7 or 2.7-IV2.`,
    );
  }
  const direction = compareVersions(after.version, before.version);
  const change: VersionChange = { before, after, imageChanged, oldProtocol, newProtocol };
  if (compareVersions(newProtocol, after.version) > 0) {
    return fail(
      `${IBP} ${formatVersion(newProtocol)} is newer than the broker software (Kafka ${formatVersion(after.version)})`,
      `${subject(current)} runs Kafka ${formatVersion(after.version)} (${after.image}) with ` +
        `${describeSetting(IBP)} ${formatVersion(newProtocol)}: a broker cannot speak a protocol ` +
        `newer than itself and will not start. To proceed: set it to at most ` +
        `${formatVersion(after.version)}, and bump it only after the new image is rolled out.`,
    );
  }
  if (direction === 0) return sameKafka(change);
  if (direction < 0) return downgrade(change);
  return upgrade(change, parameters);
}

/** A setting's value in force: the pinned one, or the software's own version when unset. */
function effective(s: Side, property: string): KafkaVersion | undefined {
  const setting = property === IBP ? s.ibp : s.lmf;
  return setting.state === 'literal' ? parseVersion(setting.value) : s.version;
}

function sameKafka(change: VersionChange): RuleResult {
  const { after, oldProtocol, newProtocol, imageChanged } = change;
  const version = formatVersion(after.version);
  const protocolChange = compareVersions(newProtocol, oldProtocol);
  if (protocolChange === 0) {
    return pass(
      imageChanged
        ? `same Kafka ${version}, protocol ${formatVersion(newProtocol)} unchanged`
        : 'Kafka version and protocol unchanged',
    );
  }
  if (imageChanged) return protocolWithImage(change);
  if (protocolChange > 0) {
    // Step two of the upgrade. Whether every broker already runs the new image is for the
    // cluster-state probe to confirm; the manifests show a single image.
    return pass(
      `protocol bump ${formatVersion(oldProtocol)} → ${formatVersion(newProtocol)} on an unchanged image`,
      `${subject(after.view)} bumps ${IBP} from ${formatVersion(oldProtocol)} to ` +
        `${formatVersion(newProtocol)} with the image unchanged (step two of a Kafka upgrade). ` +
        `Make sure every broker already runs ${after.image} and no partition is under-replicated; ` +
        `after this roll a downgrade below Kafka ${formatVersion(newProtocol)} is impossible.`,
    );
  }
  return warn(
    `lowering ${IBP} ${formatVersion(oldProtocol)} → ${formatVersion(newProtocol)} is not a supported Kafka procedure`,
    `${subject(after.view)} lowers ${describeSetting(IBP)} from ${formatVersion(oldProtocol)} to ` +
      `${formatVersion(newProtocol)}. Kafka supports going back only before the protocol was ` +
      `bumped: metadata and logs written with the newer protocol may not be readable. Keep it at ` +
      `${formatVersion(oldProtocol)} unless you know that the bump never completed.`,
  );
}

function upgrade(change: VersionChange, parameters: KafkaVersionParameters): RuleResult {
  const { before, after, oldProtocol, newProtocol } = change;
  const from = formatVersion(before.version);
  const to = formatVersion(after.version);
  const running = formatVersion(oldProtocol);
  const needsFormatPin =
    parameters.requireMessageFormatPin &&
    compareVersions(oldProtocol, MESSAGE_FORMAT_IGNORED_FROM) < 0;
  const oldFormat = effective(before, LMF);
  const steps = twoSteps(
    after,
    running,
    to,
    needsFormatPin ? formatVersion(oldFormat ?? oldProtocol) : undefined,
  );
  if (after.ibp.state === 'absent') {
    const pins = needsFormatPin ? `${IBP} and ${LMF}` : IBP;
    return fail(
      `Kafka ${from} → ${to} without ${IBP} pinned to ${running}`,
      `${subject(after.view)} changes the broker image from ${before.image} (Kafka ${from}) to ` +
        `${after.image} (Kafka ${to}) without pinning ${pins} to ${running}. Each upgraded broker ` +
        `would speak the ${to} inter-broker protocol while the others still run ${from}, so ` +
        `replication and controller requests between them fail during the roll, and once the new ` +
        `protocol is in use the cluster cannot be downgraded. ${steps}`,
    );
  }
  if (compareVersions(newProtocol, oldProtocol) !== 0) {
    return protocolWithImage(change);
  }
  if (needsFormatPin) {
    const format = effective(after, LMF);
    const wanted = oldFormat ?? oldProtocol;
    if (after.lmf.state === 'absent' || !format || compareVersions(format, wanted) !== 0) {
      const got = after.lmf.state === 'literal' ? `set to ${after.lmf.value}` : 'not set';
      return fail(
        `Kafka ${from} → ${to}: ${LMF} must stay at ${formatVersion(wanted)} (${got})`,
        `${subject(after.view)} upgrades Kafka ${from} → ${to} with the protocol pinned to ` +
          `${running}, but ${describeSetting(LMF)} is ${got}. Below protocol 3.0 the message ` +
          `format must stay at the running ${formatVersion(wanted)} during the roll, or upgraded ` +
          `brokers write a format that older brokers and clients must convert (or cannot read). ` +
          steps,
      );
    }
  }
  return pass(
    `Kafka ${from} → ${to} with ${IBP} pinned to ${running}`,
    `Kafka ${from} → ${to} with ${IBP} pinned to ${running}: step one of the upgrade. Once every ` +
      `broker runs ${after.image} and no partition is under-replicated, bump the protocol to ${to} ` +
      `in a separate change.`,
  );
}

function downgrade(change: VersionChange): RuleResult {
  const { before, after, oldProtocol, newProtocol } = change;
  const from = formatVersion(before.version);
  const to = formatVersion(after.version);
  const format = effective(before, LMF);
  const target = after.version;
  const tooNew =
    compareVersions(oldProtocol, target) > 0
      ? `${IBP} ${formatVersion(oldProtocol)}`
      : before.lmf.state === 'literal' && format && compareVersions(format, target) > 0
        ? `${LMF} ${formatVersion(format)}`
        : undefined;
  if (tooNew) {
    return fail(
      `Kafka ${from} → ${to} is below the protocol in use (${tooNew})`,
      `${subject(after.view)} changes the broker image from ${before.image} (Kafka ${from}) back ` +
        `to ${after.image} (Kafka ${to}), but the cluster runs with ${tooNew}. Kafka ${to} cannot ` +
        `speak it: brokers fail to start or to replicate, and data written in the newer format may ` +
        `be unreadable. Kafka supports a downgrade only while the protocol is still pinned to the ` +
        `older version. To proceed: keep ${before.image}; going back now means restoring the ` +
        `cluster from a backup.`,
    );
  }
  if (compareVersions(newProtocol, oldProtocol) !== 0) {
    return protocolWithImage(change);
  }
  return pass(
    `Kafka ${from} → ${to} (downgrade) with the protocol at ${formatVersion(oldProtocol)}`,
    `Kafka ${from} → ${to}: a downgrade while the protocol is still pinned to ${formatVersion(oldProtocol)}, which Kafka supports.`,
  );
}

function protocolWithImage(change: VersionChange): RuleResult {
  const { before, after, oldProtocol, newProtocol } = change;
  const from = formatVersion(oldProtocol);
  const to = formatVersion(newProtocol);
  return fail(
    `image change and ${IBP} ${from} → ${to} in one rollout`,
    `${subject(after.view)} changes the broker image (${before.image} → ${after.image}) and ` +
      `${describeSetting(IBP)} (${from} → ${to}) in the same change. During the roll, brokers ` +
      `already restarted would use protocol ${to} while the others cannot, and after the bump ` +
      `there is no way back. To proceed: keep ${IBP} at ${from} in this change; change it in a ` +
      `separate change once every broker runs ${after.image} and no partition is under-replicated.`,
  );
}

function twoSteps(after: Side, running: string, to: string, format: string | undefined): string {
  const env = [`KAFKA_INTER_BROKER_PROTOCOL_VERSION=${running}`];
  if (format) env.push(`KAFKA_LOG_MESSAGE_FORMAT_VERSION=${format}`);
  return (
    `To proceed in two steps: (1) keep the new image ${after.image} and add ${env.join(' and ')} ` +
    `to the broker env, and let every broker roll; (2) once all brokers run Kafka ${to} and no ` +
    `partition is under-replicated, set ${format ? 'them' : 'it'} to ${to} (or remove ` +
    `${format ? 'them' : 'it'}) in a separate change.`
  );
}

function zooKeeperMode(view: WorkloadView): boolean {
  return (
    readSetting(view.container, 'zookeeper.connect').state !== 'absent' ||
    readSetting(view.container, 'process.roles').state === 'absent'
  );
}

function zooKeeperToKraftOnly(current: WorkloadView, image: string): RuleResult {
  return fail(
    `${image} has no ZooKeeper mode; this cluster runs on ZooKeeper`,
    `${subject(current)} moves a ZooKeeper-mode cluster to ${image}: Confluent Platform 8 (Kafka ` +
      `4) runs in KRaft mode only, so the brokers would not start and the cluster metadata stays ` +
      `in ZooKeeper. To proceed: upgrade in ZooKeeper mode to Confluent Platform 7.7.1 or later ` +
      `(7.9 = Kafka 3.9, the bridge release), migrate the cluster to KRaft (Confluent's ZooKeeper ` +
      `to KRaft migration), and upgrade to 8.x after that.`,
  );
}

function kraft(current: WorkloadView, oldImage: string, newImage: string): RuleResult {
  if (oldImage === newImage) return pass('KRaft mode, broker image unchanged');
  return pass(
    'KRaft mode: finalize metadata.version after the roll',
    `${subject(current)} runs in KRaft mode, where ${IBP} does not apply. After every broker ` +
      `runs ${newImage}, raise the metadata version with kafka-features upgrade; until then a ` +
      `downgrade to ${oldImage} remains possible.`,
  );
}
