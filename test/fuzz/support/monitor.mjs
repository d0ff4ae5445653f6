// Watches a `kafka-warden serve` process from outside the test's own process: GET /healthz every
// interval (HTTP/1.1 and HTTP/2 in turn, each on its own kept-alive connection) and the server's
// resident memory from /proc/<pid>/status. A separate process, so the fuzzing client's busy event
// loop (building a 3 MiB body takes it tens of milliseconds) is not counted as server latency.
//
// Usage: node monitor.mjs <port> <pid> <interval-ms>, the CA's PEM in KW_MONITOR_CA. Writes one
// line per observation: `health <ms> <status> <http1|http2>` or `rss <kB>`; stops when stdin
// closes.
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { connect } from 'node:http2';

const [port, pid, intervalMs] = process.argv.slice(2).map(Number);
const ca = process.env.KW_MONITOR_CA;
/** An answer later than this is recorded as this (and as a failure by the test). */
const GIVE_UP_MS = 5000;

const agent = new Agent({ keepAlive: true, maxSockets: 1, ca, servername: 'localhost' });
let session;
let stopped = false;

function http1() {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/healthz', agent, timeout: GIVE_UP_MS },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error) => resolve(error.code ?? error.message));
    req.end();
  });
}

function http2() {
  return new Promise((resolve) => {
    if (!session || session.destroyed || session.closed) {
      session = connect(`https://127.0.0.1:${port}`, { ca, servername: 'localhost' });
      session.on('error', () => {});
    }
    const stream = session.request({ ':method': 'GET', ':path': '/healthz' });
    let status;
    const timer = setTimeout(() => stream.close(), GIVE_UP_MS);
    stream.on('response', (headers) => (status = headers[':status']));
    stream.on('data', () => {});
    stream.on('close', () => {
      clearTimeout(timer);
      resolve(status ?? 'no-answer');
    });
    stream.on('error', () => {});
    stream.end();
  });
}

function rssKb() {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}

process.stdin.on('end', () => {
  stopped = true;
});
process.stdin.resume();

let turn = 0;
while (!stopped) {
  const started = performance.now();
  const useHttp2 = turn++ % 2 === 1;
  const status = await (useHttp2 ? http2() : http1());
  const ms = Math.round(performance.now() - started);
  process.stdout.write(`health ${ms} ${status} ${useHttp2 ? 'http2' : 'http1'}\n`);
  process.stdout.write(`rss ${rssKb()}\n`);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, intervalMs - ms)));
}
agent.destroy();
session?.destroy();
