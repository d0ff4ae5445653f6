// The JVM tier proves that the JVM accepts kafka-warden's stores. Without a JDK it cannot, and a
// skipped tier would read as a pass: a missing tool fails here, by name.
import { runTool } from './jvm';

test.each([
  ['java', ['-version']],
  ['javac', ['-version']],
  ['keytool', ['-help']],
  ['openssl', ['version']],
])('%s is installed and runs', (tool, args) => {
  expect(runTool(tool, args).status).toBe(0);
});
