/**
 * Reading and writing YAML as Helm and the API server read it (YAML 1.1 scalars, yaml11-scalars.ts).
 * js-yaml does it; for the block YAML Helm emits and the values kafka-warden writes, the fast reader
 * and writer do the same in a fraction of the time, in a process that starts cold (the
 * post-renderer), and leave everything else to js-yaml.
 */
import { dump, load } from 'js-yaml';
import { MAX_OBJECT_DEPTH } from '../core/limits';
import { readYaml11Fast } from './yaml11-fast-read';
import { writeYaml11Fast } from './yaml11-fast-write';
import { YAML11_SCHEMA } from './yaml11-scalars';

export function loadYaml11(text: string): unknown {
  return readYaml11Fast(text) ?? loadYaml11WithJsYaml(text);
}

export function loadYaml11WithJsYaml(text: string): unknown {
  const value = load(text, { schema: YAML11_SCHEMA });
  // Only js-yaml reads aliases (the fast reader leaves any anchor to it).
  refuseAliasExpansion(value);
  return value;
}

/**
 * Nodes a document may reach through aliases. js-yaml reads `*a` as a second reference to the
 * anchored value, so a document of a few hundred bytes can stand for 10^9 nodes (a "billion
 * laughs"), which every later walk (the transformation, the policy, JSON and YAML output) would
 * expand. Real manifests rarely use aliases at all; a few shared lists stay far below this.
 */
export const MAX_ALIASED_NODES = 10_000;

export class YamlLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'YamlLimitError';
  }
}

/**
 * Throws when aliases make `value` stand for more than MAX_ALIASED_NODES nodes beyond its own, or
 * when it nests deeper than MAX_OBJECT_DEPTH. Iterative, and its work is bounded by the distinct
 * nodes plus that budget, whatever the expansion would be.
 */
function refuseAliasExpansion(value: unknown): void {
  const seen = new Set<object>();
  let aliased = 0;
  const stack: [node: unknown, depth: number, underAlias: boolean][] = [[value, 1, false]];
  while (stack.length > 0) {
    const [node, depth, inherited] = stack.pop() as [unknown, number, boolean];
    const isCollection = node !== null && typeof node === 'object';
    const underAlias = inherited || (isCollection && seen.has(node));
    if (underAlias && ++aliased > MAX_ALIASED_NODES) {
      throw new YamlLimitError(
        `its aliases (*name) expand to more than ${MAX_ALIASED_NODES} nodes; kafka-warden does not expand them (write the repeated values out)`,
      );
    }
    if (!isCollection) continue;
    if (depth > MAX_OBJECT_DEPTH) {
      throw new YamlLimitError(`it nests deeper than ${MAX_OBJECT_DEPTH} levels`);
    }
    seen.add(node);
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      stack.push([child, depth + 1, underAlias]);
    }
  }
}

export function dumpYaml11(value: unknown): string {
  return writeYaml11Fast(value) ?? dumpYaml11WithJsYaml(value);
}

export function dumpYaml11WithJsYaml(value: unknown): string {
  return dump(value, { schema: YAML11_SCHEMA, lineWidth: -1, noRefs: true, quotingType: "'" });
}
