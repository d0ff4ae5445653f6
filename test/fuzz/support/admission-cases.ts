/**
 * Fuzzed admission requests, each built from its seed alone: a real object (Pod or StatefulSet of
 * Kafka or ZooKeeper, or anything else of the renders) in a real AdmissionReview, then structural
 * mutations of the object, the old object or the review envelope, then sometimes mutations of the
 * raw body (truncated, garbage, numbers JSON cannot hold, duplicate keys, padding to the size
 * limit) and of the content type.
 */
import { BODY_LIMIT_BYTES } from '../../../src/server/admission-handler';
import { STATUS_ANNOTATION } from '../../../src/core/injection-status';
import type { KubeObject } from '../../../src/core/k8s-types';
import { admissionReview } from '../../support/pods';
import { random, type Random, type Tally } from './budget';
import type { CorpusObject } from './corpus';
import { HOSTILE_NUMBERS, hostileString, hostileValue, type Json } from './hostile-values';
import { clone, mutateOnce, type MutationLimits } from './mutate-json';

export interface AdmissionCase {
  seed: number;
  path: string;
  protocol: 'http1' | 'http2';
  contentType: string | undefined;
  body: Buffer;
  /** Whether the content type is one the server must refuse with 415. */
  wrongContentType: boolean;
  /** Whether the body is over the server's limit (413, or the connection cut after it). */
  oversize: boolean;
  /** Send without content-length (HTTP/1.1 chunked, HTTP/2 without the header). */
  chunked: boolean;
  /** What was done, for the tally. */
  labels: string[];
}

const GOOD_TYPES = ['application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON'];
const WRONG_TYPES = [
  undefined,
  '',
  'text/plain',
  'application/jsonx',
  'application/json-patch+json',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'json',
];
const KINDS = ['Pod', 'StatefulSet', 'Deployment', 'Scale', 'ConfigMap', '', 'pod', 'POD', 'Kafka'];
const OPERATIONS = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT', 'create', '', 'PATCH', 'Update'];
const API_VERSIONS = [
  'admission.k8s.io/v1',
  'admission.k8s.io/v1beta1',
  'admission.k8s.io/v2',
  'v1',
  '',
  'admission.k8s.io/v1 ',
];

/** Objects kafka-warden acts on, picked more often than the rest of a release. */
function isKafkaOrZooKeeper(object: KubeObject): boolean {
  const text = JSON.stringify(object.metadata?.labels ?? {});
  return (
    (object.kind === 'Pod' || object.kind === 'StatefulSet') && /cp-kafka"|cp-zookeeper"/.test(text)
  );
}

export class AdmissionCaseBuilder {
  private readonly workloads: CorpusObject[];

  constructor(private readonly corpus: CorpusObject[]) {
    this.workloads = corpus.filter((c) => isKafkaOrZooKeeper(c.object));
  }

  build(seed: number, tally: Tally): AdmissionCase {
    const rng = random(seed);
    const labels: string[] = [];
    const base = clone(
      (rng.chance(0.7) ? rng.pick(this.workloads) : rng.pick(this.corpus)).object as Json,
    ) as KubeObject;
    const operation = rng.pick(['CREATE', 'CREATE', 'UPDATE', 'UPDATE', 'DELETE']);
    const object = operation === 'DELETE' ? undefined : (clone(base as Json) as KubeObject);
    const review = admissionReview(object, {
      operation,
      ...(operation === 'CREATE' ? {} : { oldObject: base }),
      uid: `fuzz-${seed}`,
    }) as unknown as Record<string, Json>;
    labels.push(`op:${operation}`);

    const limits: MutationLimits = {
      maxString: rng.chance(0.05) ? 1_000_000 : 300,
      maxArray: rng.chance(0.05) ? 50_000 : 200,
      deep: rng.chance(0.3),
    };
    const mutations = 1 + Math.floor(-Math.log(1 - rng.next()) * 1.2);
    for (let i = 0; i < mutations; i++) {
      // An envelope mutation may have taken the request, or its objects, away.
      const request = asObj(review.request);
      const roll = rng.next();
      if (roll < 0.12 || !request) labels.push(mutateEnvelope(rng, review));
      else if (roll < 0.4 && request.object === object && object)
        labels.push(targeted(rng, object as Json));
      else if (roll < 0.5 && request.oldObject)
        labels.push(`old:${mutateOnce(rng, request.oldObject, limits)}`);
      else if (request.object) labels.push(mutateOnce(rng, request.object, limits));
    }

    const text = JSON.stringify(review);
    let body: Buffer = Buffer.from(text);
    if (rng.chance(0.2)) {
      const raw = mutateRaw(rng, text);
      labels.push(`raw:${raw.name}`);
      body = raw.body;
    }
    let oversize = body.length > BODY_LIMIT_BYTES;
    if (rng.chance(0.012)) {
      // Padded with whitespace (still valid JSON) to just under, at or just over the limit.
      const target = BODY_LIMIT_BYTES + rng.pick([-4096, -1, 0, 1, 4096, 1024 * 1024]);
      if (target > body.length) {
        body = Buffer.concat([body, Buffer.alloc(target - body.length, ' ')]);
        labels.push(target > BODY_LIMIT_BYTES ? 'raw:oversize' : 'raw:near-limit');
      }
      oversize = body.length > BODY_LIMIT_BYTES;
    }
    const wrongContentType = rng.chance(0.06);
    const contentType = wrongContentType ? rng.pick(WRONG_TYPES) : rng.pick(GOOD_TYPES);
    if (wrongContentType) labels.push('content-type');
    for (const label of labels) tally.add(label.replace(/^op:.*/, 'op'));
    return {
      seed,
      path: `${rng.pick(['/mutate', '/validate'])}${rng.chance(0.3) ? '?timeout=10s' : ''}`,
      protocol: rng.chance(0.5) ? 'http2' : 'http1',
      contentType,
      body,
      wrongContentType,
      oversize,
      chunked: rng.chance(0.2),
      labels,
    };
  }
}

/** The review around the object: kinds, operations, apiVersions, uids, object types. */
function mutateEnvelope(rng: Random, review: Record<string, Json>): string {
  const request = asObj(review.request) ?? (review.request = {});
  switch (rng.int(10)) {
    case 0:
      request.kind = { group: rng.pick(['', 'apps', 'x']), version: 'v1', kind: rng.pick(KINDS) };
      return 'envelope:kind';
    case 1:
      request.operation = rng.pick(OPERATIONS);
      return 'envelope:operation';
    case 2:
      review.apiVersion = rng.pick(API_VERSIONS);
      return 'envelope:apiVersion';
    case 3:
      review.kind = rng.pick(['AdmissionReview', 'admissionreview', 'Pod', '']);
      return 'envelope:review-kind';
    case 4:
      request.uid = rng.chance(0.5) ? hostileValue(rng, 'uid', 100) : hostileString(rng, 100_000);
      return 'envelope:uid';
    case 5:
      request.subResource = rng.pick(['scale', 'status', 'exec', '']);
      return 'envelope:subResource';
    case 6:
      request[rng.pick(['object', 'oldObject'])] = hostileValue(rng, null, 100);
      return 'envelope:object-type';
    case 7: {
      // Swapped: the old object in the new place, as a confused or malicious client sends.
      const old = request.oldObject ?? null;
      request.oldObject = request.object ?? null;
      request.object = old;
      return 'envelope:swap-objects';
    }
    case 8:
      request.dryRun = hostileValue(rng, true, 20);
      request.namespace = hostileValue(rng, 'kafka', 300);
      return 'envelope:namespace';
    default:
      delete review[rng.pick(['request', 'kind', 'apiVersion'])];
      return 'envelope:delete';
  }
}

type Obj = { [key: string]: Json };
const asObj = (value: Json | undefined): Obj | undefined =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? value : undefined;

/** The pod spec of a Pod or a StatefulSet's template. */
function podSpecOf(object: Obj): Obj | undefined {
  const spec = asObj(object.spec);
  return object.kind === 'Pod' ? spec : asObj(asObj(spec?.template)?.spec);
}

function parseJson(text: Json | undefined): Json | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    return JSON.parse(text) as Json;
  } catch {
    return undefined;
  }
}

/** Mutations aimed at what kafka-warden reads first, so they get past the first check. */
function targeted(rng: Random, root: Json): string {
  const object = asObj(root);
  if (!object) return 'targeted:none';
  const spec = asObj(object.spec);
  const podSpec = podSpecOf(object);
  const containers = Array.isArray(podSpec?.containers) ? podSpec.containers : undefined;
  const main = containers ? asObj(containers[0]) : undefined;
  switch (rng.int(8)) {
    case 0:
      if (spec)
        spec.replicas = rng.chance(0.7) ? rng.pick(HOSTILE_NUMBERS) : hostileValue(rng, 3, 20);
      return 'targeted:replicas';
    case 1:
      if (containers && containers.length > 0) {
        const copies = rng.pick([1, 2, 50]);
        for (let i = 0; i < copies; i++)
          containers.push(clone(containers[rng.int(containers.length)] as Json));
      }
      return 'targeted:duplicate-containers';
    case 2:
      if (main) main[rng.pick(['name', 'image'])] = hostileValue(rng, main.name ?? null, 300);
      return 'targeted:main-container';
    case 3: {
      const meta = asObj(object.metadata) ?? asObj((object.metadata = {}));
      const annotations = asObj(meta?.annotations ?? null) ?? {};
      if (meta) meta.annotations = annotations;
      const record = parseJson(annotations[STATUS_ANNOTATION]);
      if (record !== null && typeof record === 'object' && rng.chance(0.7)) {
        // A real injection record, structurally broken: re-injection reads it.
        mutateOnce(rng, record, { maxString: 200, maxArray: 100, deep: false });
        annotations[STATUS_ANNOTATION] = JSON.stringify(record);
      } else {
        annotations[STATUS_ANNOTATION] = rng.chance(0.5)
          ? hostileString(rng, 200)
          : JSON.stringify({ version: 1, ...asObj(hostileValue(rng, {}, 50)) });
      }
      return 'targeted:status-record';
    }
    case 4:
      if (main) {
        const env = Array.isArray(main.env) ? main.env : (main.env = []);
        env.push({
          name: rng.pick([
            'KAFKA_ADVERTISED_LISTENERS',
            'KAFKA_LISTENER_SECURITY_PROTOCOL_MAP',
            'KAFKA_OPTS',
            'KAFKA_ZOOKEEPER_CONNECT',
            'KAFKA_INTER_BROKER_PROTOCOL_VERSION',
            'KAFKA_BROKER_ID',
            'KAFKA_HEAP_OPTS',
            'ZOOKEEPER_SERVERS',
          ]),
          ...(rng.chance(0.3)
            ? { valueFrom: hostileValue(rng, {}, 50) }
            : { value: hostileValue(rng, 'x', 500) }),
        });
      }
      return 'targeted:env';
    case 5: {
      const meta = asObj(object.metadata);
      if (meta) meta.ownerReferences = hostileValue(rng, [{ kind: 'StatefulSet', name: 'x' }], 200);
      return 'targeted:ownerReferences';
    }
    case 6:
      if (main) {
        main[rng.pick(['command', 'args', 'ports'])] = rng.chance(0.5)
          ? hostileValue(rng, [], 300)
          : [hostileString(rng, 300), rng.pick(HOSTILE_NUMBERS)];
      }
      return 'targeted:command-ports';
    default:
      if (spec) {
        spec[rng.pick(['serviceName', 'podManagementPolicy', 'updateStrategy'])] = hostileValue(
          rng,
          'x',
          300,
        );
      }
      return 'targeted:sts-fields';
  }
}

/** Mutations of the body's bytes, after serialisation. */
function mutateRaw(rng: Random, text: string): { name: string; body: Buffer } {
  const at = rng.int(text.length + 1);
  switch (rng.int(11)) {
    case 0:
      return { name: 'truncate', body: Buffer.from(text.slice(0, at)) };
    case 1: {
      const garbage = Buffer.from(Array.from({ length: 1 + rng.int(64) }, () => rng.int(256)));
      return {
        name: 'garbage-bytes',
        body: Buffer.concat([Buffer.from(text.slice(0, at)), garbage, Buffer.from(text.slice(at))]),
      };
    }
    case 2: {
      const chars = [...text];
      const i = rng.int(chars.length);
      chars[i] = rng.pick(['"', '{', '}', '[', ']', ',', ':', '\\', '\u0000', 'x', '0']);
      return { name: 'flip', body: Buffer.from(chars.join('')) };
    }
    case 3:
      // Numbers JSON.parse reads as Infinity or -0, and literals it refuses.
      return {
        name: 'number-literal',
        body: Buffer.from(
          text.replace(/(?<=:)\d+(?=[,}])/g, () =>
            rng.pick(['1e999', '-1e999', '-0', '1.0e+2', '00', 'NaN', '0x10', '1e-400']),
          ),
        ),
      };
    case 4:
      // Duplicate keys: JSON.parse keeps the last; a different reader may keep the first.
      return {
        name: 'duplicate-key',
        body: Buffer.from(
          text.replace(
            /\{"(apiVersion|kind|name|replicas|containers|operation)"/g,
            (m, key: string) =>
              rng.chance(0.5)
                ? `{"${key}":${JSON.stringify(rng.pick(['Pod', 3, null, []]))},"${key}"`
                : m,
          ),
        ),
      };
    case 5:
      return { name: 'bom', body: Buffer.from(`\ufeff${text}`) };
    case 6:
      return {
        name: 'trailing',
        body: Buffer.from(`${text}${rng.pick([' x', '}', ',{}', '\u0000', '\n\n'])}`),
      };
    case 7:
      return {
        name: 'empty-or-scalar',
        body: Buffer.from(
          rng.pick(['', ' ', 'null', '[]', '{}', '"AdmissionReview"', '0', 'true']),
        ),
      };
    case 8: {
      // Bytes that are not UTF-8 inside a string value.
      const bytes = Buffer.from(text);
      const quote = bytes.indexOf(0x22, rng.int(bytes.length));
      if (quote !== -1)
        bytes[Math.min(bytes.length - 1, quote + 1)] = rng.pick([0xff, 0xc0, 0xed, 0x80]);
      return { name: 'invalid-utf8', body: bytes };
    }
    case 9:
      return {
        name: 'raw-control-char',
        body: Buffer.from(text.replace(/"name":"/, '"name":"\u0001\n')),
      };
    default:
      return {
        name: 'whitespace',
        body: Buffer.from(text.replace(/,/g, () => (rng.chance(0.1) ? ' \n\t, \r' : ','))),
      };
  }
}
