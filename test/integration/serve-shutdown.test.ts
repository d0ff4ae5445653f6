/**
 * `kafka-warden serve` as a process: SIGTERM while clients keep sending requests loses none of them.
 * The clients stand in for the API server behind a Service: they stop sending to this replica once
 * its /readyz fails, as endpoints would stop routing to it (polled here every 50 ms, well inside the
 * server's shutdown delay). Every request they send must be answered with 200.
 */
import { Agent, request as httpsRequest } from 'node:https';
import { startServe } from '../support/serve-process';
import { admissionReview } from '../support/pods';

const body = JSON.stringify(
  admissionReview({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'd' },
    spec: { containers: [{ name: 'c' }] },
  }),
);

function post(
  port: number,
  ca: Buffer,
  agent: Agent,
  path = '/mutate',
  method = 'POST',
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        servername: 'localhost',
        path,
        method,
        ca,
        agent,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(method === 'POST' ? body : undefined);
  });
}

test('SIGTERM under load: every request sent is answered, then the server exits 0', async () => {
  const serve = await startServe(['--shutdown-delay', '500']);
  const failures: string[] = [];
  let answered = 0;
  let answeredWhileDraining = 0;
  let routable = true;
  let draining = false;
  const endpoints = (async () => {
    const agent = new Agent();
    while (routable) {
      await new Promise((r) => setTimeout(r, 50));
      const status = await post(serve.port, serve.ca, agent, '/readyz', 'GET').catch(() => 0);
      if (status !== 200) routable = false;
    }
  })();
  const clients = Array.from({ length: 10 }, async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    while (routable) {
      try {
        const status = await post(serve.port, serve.ca, agent);
        if (status === 200) {
          answered++;
          if (draining) answeredWhileDraining++;
        } else failures.push(`status ${status}`);
      } catch (error) {
        failures.push(`${(error as NodeJS.ErrnoException).code ?? ''} ${String(error)}`);
        break;
      }
    }
    agent.destroy();
  });
  await new Promise((r) => setTimeout(r, 500));
  draining = true;
  serve.child.kill('SIGTERM');
  await Promise.all([...clients, endpoints]);
  expect(await serve.exited).toBe(0);
  expect(failures).toEqual([]);
  expect(answered).toBeGreaterThan(50);
  expect(answeredWhileDraining).toBeGreaterThan(0);
  expect(serve.logs()).toContain('"msg":"draining"');
}, 60_000);
