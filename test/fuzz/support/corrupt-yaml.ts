/**
 * Corruptions of YAML text as an editor, a broken template or an attacker makes them: lines
 * deleted, duplicated, swapped or re-indented, tabs, anchors and aliases (merge keys, alias
 * fan-out), truncation, scalars replaced with huge or odd values, replica counts no cluster has,
 * deep flow collections, directives and document markers, kafka-warden's own status records
 * broken, and structural mutations of one document (a field of the wrong type where the code
 * reads it), written back as YAML.
 */
import { dump, load } from 'js-yaml';
import type { Random } from './budget';
import { HOSTILE_NUMBERS, hostileString, type Json } from './hostile-values';
import { mutateOnce } from './mutate-json';

const ODD_SCALARS = [
  '',
  '~',
  'null',
  '.inf',
  '-.inf',
  '.nan',
  '1e999',
  '0x7fffffff',
  '0o777',
  '1_000_000',
  '190:20:30',
  '2001-12-14t21:59:43.10-05:00',
  'yes',
  'Off',
  '!!binary aGVsbG8=',
  '!!str 3',
  '!!int "3"',
  '!!float 1e400',
  '!!python/object:os.system ls',
  '!<tag:yaml.org,2002:js/function> "function(){}"',
  '"\\u0000\\uD800"',
  "'unterminated",
  '"unterminated',
  '|',
  '>-',
  '{',
  '[',
  '*undefined-alias',
  '&anchor',
  '? complex',
  '- item',
  '@reserved',
  '`reserved',
  '%',
  '"{{ .Values.x }}"',
];

export const CORRUPTIONS = [
  'delete-lines',
  'duplicate-lines',
  'swap-lines',
  'indent',
  'tabs',
  'anchor-alias',
  'merge-key',
  'alias-fan-out',
  'truncate',
  'huge-scalar',
  'odd-scalar',
  'replicas',
  'deep-flow',
  'markers',
  'proto-key',
  'status-record',
  'structural',
] as const;
export type Corruption = (typeof CORRUPTIONS)[number];

/** Lines with a `key: value` scalar, which scalar corruptions replace. */
const SCALAR_LINE = /^(\s*(?:- )?[\w.\-/"']+:\s)(.+)$/;

export function corruptYaml(rng: Random, text: string): { text: string; name: Corruption } {
  const name = rng.pick(CORRUPTIONS);
  const lines = text.split('\n');
  const at = rng.int(lines.length);
  const line = lines[at] ?? '';
  switch (name) {
    case 'delete-lines':
      lines.splice(at, 1 + rng.int(rng.chance(0.8) ? 3 : 40));
      break;
    case 'duplicate-lines': {
      const block = lines.slice(at, at + 1 + rng.int(8));
      lines.splice(at, 0, ...block);
      break;
    }
    case 'swap-lines': {
      const other = rng.int(lines.length);
      lines[at] = lines[other] ?? '';
      lines[other] = line;
      break;
    }
    case 'indent': {
      const indent = /^\s*/.exec(line)?.[0].length ?? 0;
      lines[at] =
        ' '.repeat(Math.max(0, indent + rng.pick([-4, -2, -1, 1, 2, 4, 40]))) + line.trimStart();
      break;
    }
    case 'tabs':
      lines[at] = rng.chance(0.5) ? line.replace(/^ {2}/, '\t') : line.replace(': ', ':\t');
      break;
    case 'anchor-alias': {
      const source = scalarLineIndex(rng, lines);
      const target = scalarLineIndex(rng, lines);
      if (source !== undefined && target !== undefined) {
        lines[source] = (lines[source] as string).replace(SCALAR_LINE, '$1&fz $2');
        lines[target] = (lines[target] as string).replace(SCALAR_LINE, '$1*fz');
      }
      break;
    }
    case 'merge-key': {
      // A mapping anchored, merged elsewhere (or into itself: a cycle js-yaml must refuse).
      const indent = /^\s*/.exec(line)?.[0] ?? '';
      lines.splice(at, 0, `${indent}<<: *${rng.pick(['fz', 'missing'])}`);
      const anchor = lines.findIndex((l) => /^\s*\w+:\s*$/.test(l));
      if (anchor !== -1) lines[anchor] = `${lines[anchor] as string} &fz`;
      break;
    }
    case 'alias-fan-out': {
      // Aliases of aliases: each level multiplies the nodes the document stands for.
      const levels = 2 + rng.int(8);
      const width = 2 + rng.int(10);
      const block = [`fz0: &fz0 [${Array(width).fill('"x"').join(',')}]`];
      for (let i = 1; i <= levels; i++) {
        block.push(
          `fz${i}: &fz${i} [${Array(width)
            .fill(`*fz${i - 1}`)
            .join(',')}]`,
        );
      }
      const top = lines.findIndex((l, i) => i >= at && /^metadata:/.test(l));
      lines.splice(top === -1 ? at : top, 0, ...block);
      break;
    }
    case 'truncate':
      return { text: text.slice(0, rng.int(text.length)), name };
    case 'huge-scalar': {
      const index = scalarLineIndex(rng, lines);
      if (index !== undefined) {
        const huge = rng.chance(0.5)
          ? rng.pick([
              '9'.repeat(400),
              `1e${rng.pick([308, 309, 400, 99999])}`,
              '0.' + '0'.repeat(400) + '1',
            ])
          : JSON.stringify(hostileString(rng, rng.pick([1000, 100_000, 1_000_000])));
        lines[index] = (lines[index] as string).replace(SCALAR_LINE, `$1${huge}`);
      }
      break;
    }
    case 'odd-scalar': {
      const index = scalarLineIndex(rng, lines);
      if (index !== undefined) {
        lines[index] = (lines[index] as string).replace(SCALAR_LINE, `$1${rng.pick(ODD_SCALARS)}`);
      }
      break;
    }
    case 'replicas': {
      const value = rng.chance(0.7) ? String(rng.pick(HOSTILE_NUMBERS)) : rng.pick(ODD_SCALARS);
      return { text: text.replace(/^(\s*replicas:\s).*$/gm, `$1${value}`), name };
    }
    case 'deep-flow': {
      const depth = rng.pick([50, 99, 100, 101, 150, 1000, 5000]);
      const deep = rng.chance(0.5)
        ? '['.repeat(depth) + ']'.repeat(depth)
        : '{a: '.repeat(depth) + '1' + '}'.repeat(depth);
      const index = scalarLineIndex(rng, lines);
      if (index !== undefined)
        lines[index] = (lines[index] as string).replace(SCALAR_LINE, `$1${deep}`);
      break;
    }
    case 'markers':
      lines.splice(
        at,
        0,
        rng.pick([
          '---',
          '...',
          '--- |',
          '%YAML 1.1',
          '%TAG ! tag:x,2000:',
          '--- !!str',
          '---\n---',
          '# Source: x\n---',
        ]),
      );
      break;
    case 'proto-key': {
      const indent = /^\s*/.exec(line)?.[0] ?? '';
      lines.splice(at, 0, `${indent}__proto__: {containers: [], replicas: 1, polluted: true}`);
      break;
    }
    case 'status-record': {
      // kafka-warden's own record on a pod template or a Service, structurally broken: re-injection
      // reads it (golden outputs carry records; a render without one is left as it is).
      const records = lines.flatMap((l, i) => (l.includes("kafka-warden.io/status: '") ? [i] : []));
      if (records.length === 0) break;
      const index = rng.pick(records);
      const [, head, json] =
        /^(\s*kafka-warden\.io\/status: )'(.*)'$/.exec(lines[index] as string) ?? [];
      if (head === undefined || json === undefined) break;
      const record = JSON.parse(json.replaceAll("''", "'")) as Json;
      mutateOnce(rng, record, { maxString: 100, maxArray: 50, deep: false });
      lines[index] = `${head}'${JSON.stringify(record).replaceAll("'", "''")}'`;
      break;
    }
    case 'structural':
      return { text: structural(rng, text), name };
  }
  return { text: lines.join('\n'), name };
}

function scalarLineIndex(rng: Random, lines: string[]): number | undefined {
  for (let tries = 0; tries < 20; tries++) {
    const index = rng.int(lines.length);
    if (SCALAR_LINE.test(lines[index] ?? '')) return index;
  }
  return undefined;
}

/** One document read, mutated as data (wrong types where the code reads), written back. */
function structural(rng: Random, text: string): string {
  const documents = text.split(/^---$/m);
  const candidates = documents
    .map((d, i) => [d, i] as const)
    .filter(([d]) => /kind: (StatefulSet|Pod|Deployment|Service|PodDisruptionBudget)/.test(d));
  if (candidates.length === 0) return text;
  const [document, index] = rng.pick(candidates);
  let data: unknown;
  try {
    data = load(document);
  } catch {
    return text;
  }
  if (data === null || typeof data !== 'object') return text;
  for (let i = 0, n = 1 + rng.int(3); i < n; i++) {
    mutateOnce(rng, data as Json, { maxString: 300, maxArray: 300, deep: rng.chance(0.2) });
  }
  let written: string;
  try {
    written = dump(data, { lineWidth: -1 });
  } catch {
    return text;
  }
  documents[index] = `\n${written}`;
  return documents.join('---');
}
