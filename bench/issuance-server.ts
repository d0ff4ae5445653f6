/**
 * The server side of bench/issuance-latency.mjs: kafka-warden's admission server (same app, same
 * handlers as `serve`) in one process with TLS issuance, so keystore generation competes with
 * admission requests for this process's event loop, as it does in the webhook with the issuer on.
 * On "issue" (IPC) it issues batches of 20 broker keystores back to back until "stop".
 */
import pino from 'pino';
import { validate } from '../src/admission/validate';
import { evaluate } from '../src/policy/engine';
import { resolveConfig } from '../src/core/config';
import { AdmissionServer } from '../src/server/admission-server';
import {
  admissionHandlers,
  createApp,
  probeHandlers,
  type AppDependencies,
} from '../src/server/app';
import { createMetrics } from '../src/server/metrics';
import { createSelfSigned } from '../src/server/self-signed';
import { createCa, issueBrokerMaterial } from '../src/tls';

async function main(): Promise<void> {
  const config = resolveConfig();
  const deps: AppDependencies = {
    logger: pino({ level: 'warn' }),
    metrics: createMetrics(),
    mutation: () => ({ config, mutateStatefulSets: false }),
    validate: (request) => validate(request, (r) => evaluate(r)),
    ready: () => true,
  };
  const { pair } = await createSelfSigned(['localhost', '127.0.0.1']);
  const server = new AdmissionServer({
    app: createApp(deps),
    admission: admissionHandlers(deps),
    probes: probeHandlers(deps),
    certificate: pair,
    host: '127.0.0.1',
    port: 0,
    shutdownDelayMs: 0,
    shutdownTimeoutMs: 1000,
  });
  const { port } = await server.listen();
  const { ca } = await createCa({ commonName: 'bench CA' });
  let issuing = false;
  let issued = 0;
  const names = Array.from(
    { length: 20 },
    (_, i) => `kafka-${i}.kafka-headless.bench.svc.cluster.local`,
  );
  process.on('message', (message) => {
    if (message === 'issue' && !issuing) {
      issuing = true;
      void (async () => {
        while (issuing) {
          await Promise.all(
            Array.from({ length: 20 }, (_, i) =>
              issueBrokerMaterial({ ca, commonName: `kafka-${i}`, subjectAltNames: names }),
            ),
          );
          issued += 20;
        }
      })();
    }
    if (message === 'stop') {
      issuing = false;
      process.send?.({ issued });
    }
    if (message === 'exit') void server.drain().then(() => process.exit(0));
  });
  process.send?.({ port });
}

void main();
