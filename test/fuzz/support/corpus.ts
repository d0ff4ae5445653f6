/**
 * What the fuzz targets start from: the real cp-helm-charts renders in ../shared and kafka-warden's
 * own golden outputs (already injected, so re-injection and the status record are reached too),
 * as text and as objects, and the Pods the StatefulSet controller would create from them.
 */
import { readFileSync } from 'node:fs';
import type { KubeObject } from '../../../src/core/k8s-types';
import { parseManifests } from '../../../src/policy/parse-manifests';
import { goldenCases } from '../../golden/cases';
import { podFromStatefulSet } from '../../support/pods';

export interface ManifestText {
  name: string;
  text: string;
  /** The golden configuration file the text goes with, if any. */
  configPath?: string;
}

/** Every render and every golden output, each once. */
export function manifestTexts(): ManifestText[] {
  const out: ManifestText[] = [];
  const seen = new Set<string>();
  for (const golden of goldenCases()) {
    if (!seen.has(golden.input)) {
      seen.add(golden.input);
      out.push({
        name: golden.name.split(' ')[0] as string,
        text: readFileSync(golden.input, 'utf8'),
      });
    }
    out.push({
      name: `${golden.name} (golden output)`,
      text: readFileSync(golden.expected, 'utf8'),
      ...(golden.config ? { configPath: golden.config } : {}),
    });
  }
  return out;
}

export interface CorpusObject {
  /** Where it came from, for messages. */
  origin: string;
  object: KubeObject;
}

/**
 * The objects of every text, with the Pods of every StatefulSet (ordinal 0 and a later one), so
 * the mutating webhook's main input is well represented.
 */
export function corpusObjects(texts: ManifestText[] = manifestTexts()): CorpusObject[] {
  const out: CorpusObject[] = [];
  for (const { name, text } of texts) {
    for (const { object, origin } of parseManifests(text, name)) {
      out.push({ origin, object });
      if (object.kind === 'StatefulSet') {
        for (const ordinal of [0, 2]) {
          out.push({
            origin: `${origin} pod ${ordinal}`,
            object: podFromStatefulSet(object, ordinal),
          });
        }
      }
    }
  }
  return out;
}
