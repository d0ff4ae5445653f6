import { DEFAULT_CONFIG, resolveConfig } from '../../../src/core/config';
import { parseConfig, validateConfig } from '../../../src/config/load-config';

describe('the configuration', () => {
  test('the defaults are valid against the published schema', () => {
    expect(() => validateConfig(structuredClone(DEFAULT_CONFIG), 'defaults')).not.toThrow();
  });

  test('an empty file means the defaults', () => {
    expect(parseConfig('', 'empty.yaml')).toEqual(DEFAULT_CONFIG);
  });

  test('a partial file overlays the defaults; a label map replaces instead of merging', () => {
    const config = parseConfig(
      'detection:\n  kafka:\n    labels: {component: broker}\ntls:\n  port: 9443\n',
      'c.yaml',
    );
    expect(config.tls.port).toBe(9443);
    expect(config.tls.clientAuth).toBe('required');
    expect(config.detection.kafka.labels).toEqual({ component: 'broker' });
    expect(config.detection.kafka.containerNames).toEqual(
      DEFAULT_CONFIG.detection.kafka.containerNames,
    );
  });

  test('resolving does not alter the shared defaults', () => {
    resolveConfig({ tls: { port: 1 } });
    expect(DEFAULT_CONFIG.tls.port).toBe(9093);
  });

  test('interBrokerListener SASL_SSL without sasl.enabled is refused, naming the field', () => {
    expect(() => parseConfig('tls:\n  interBrokerListener: SASL_SSL\n', 'c.yaml')).toThrow(
      /tls\.interBrokerListener: SASL_SSL needs sasl\.enabled/,
    );
  });
});
