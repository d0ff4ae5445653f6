// CommonJS throughout (see docs/design.md, "Module system"): ts-jest compiles TypeScript without
// type-checking (tsc does that in `npm run lint`), which keeps the suite fast.
const transform = { '^.+\\.ts$': 'ts-jest' };

/** @type {import('jest').Config} */
module.exports = {
  globalSetup: '<rootDir>/test/support/global-setup.js',
  projects: [
    {
      displayName: 'unit',
      testMatch: [
        '<rootDir>/test/unit/**/*.test.ts',
        '<rootDir>/test/golden/**/*.test.ts',
        '<rootDir>/test/integration/**/*.test.ts',
      ],
      transform,
      testEnvironment: 'node',
    },
    {
      displayName: 'jvm',
      testMatch: ['<rootDir>/test/e2e/jvm/**/*.test.ts'],
      transform,
      testEnvironment: 'node',
    },
    {
      displayName: 'helm',
      testMatch: ['<rootDir>/test/e2e/helm/**/*.test.ts'],
      transform,
      testEnvironment: 'node',
    },
    {
      displayName: 'cluster',
      testMatch: ['<rootDir>/test/e2e/cluster/**/*.test.ts'],
      transform,
      testEnvironment: 'node',
    },
    {
      displayName: 'chart',
      testMatch: ['<rootDir>/test/e2e/chart/**/*.test.ts'],
      transform,
      testEnvironment: 'node',
    },
    {
      // Real Kafka started from kafka-warden's output (docs/kafka-e2e.md); jars from
      // scripts/install-kafka.sh.
      displayName: 'kafka',
      testMatch: ['<rootDir>/test/e2e/kafka/**/*.test.ts'],
      transform,
      testEnvironment: 'node',
    },
    {
      // The node agent: pods of the real controllers run as processes (docs/node-agent.md).
      displayName: 'node-agent',
      testMatch: ['<rootDir>/test/e2e/node-agent/**/*.test.ts'],
      transform,
      testEnvironment: 'node',
    },
    {
      // Rolls under load: cp-helm-charts under the node agent, a producer and a consumer
      // throughout each roll (docs/rolls.md).
      displayName: 'rolls',
      testMatch: ['<rootDir>/test/e2e/rolls/**/*.test.ts'],
      transform,
      testEnvironment: 'node',
    },
    {
      // Seeded, bounded fuzzing of serve, the post-renderer and the loaders (docs/fuzz.md).
      displayName: 'fuzz',
      testMatch: ['<rootDir>/test/fuzz/**/*.test.ts'],
      transform,
      testEnvironment: 'node',
    },
  ],
};
