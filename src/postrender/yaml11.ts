/**
 * Reading and writing YAML as Helm and the API server read it (YAML 1.1 scalars, yaml11-scalars.ts).
 * js-yaml does it; for the block YAML Helm emits and the values kafka-warden writes, the fast reader
 * and writer do the same in a fraction of the time, in a process that starts cold (the
 * post-renderer), and leave everything else to js-yaml.
 */
import { dump, load } from 'js-yaml';
import { readYaml11Fast } from './yaml11-fast-read';
import { writeYaml11Fast } from './yaml11-fast-write';
import { YAML11_SCHEMA } from './yaml11-scalars';

export function loadYaml11(text: string): unknown {
  return readYaml11Fast(text) ?? loadYaml11WithJsYaml(text);
}

export function loadYaml11WithJsYaml(text: string): unknown {
  return load(text, { schema: YAML11_SCHEMA });
}

export function dumpYaml11(value: unknown): string {
  return writeYaml11Fast(value) ?? dumpYaml11WithJsYaml(value);
}

export function dumpYaml11WithJsYaml(value: unknown): string {
  return dump(value, { schema: YAML11_SCHEMA, lineWidth: -1, noRefs: true, quotingType: "'" });
}
