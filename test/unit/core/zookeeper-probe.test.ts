/**
 * The ZooKeeper readiness probe run by a real bash against a server answering `srvr` as ZooKeeper
 * does (the text of ZooKeeper's own replies), in each state the probe must tell apart.
 */
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { zookeeperServingProbe } from '../../../src/core/zookeeper-probe';

const SERVING =
  'Zookeeper version: 3.5.9\nLatency min/avg/max: 0/0.1/3\nMode: follower\nNode count: 5\n';
const NOT_SERVING = 'This ZooKeeper instance is not currently serving requests\n';

function srvrServer(answer: string): Promise<Server> {
  const server = createServer((socket) => {
    socket.once('data', (data) => {
      socket.end(data.toString() === 'srvr' ? answer : '');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Asynchronously: the fake server answers from this same event loop. */
function probe(port: number, servers: string): Promise<number | null> {
  const command = zookeeperServingProbe(port).exec.command;
  const child = spawn(command[0] as string, command.slice(1), {
    env: { PATH: process.env.PATH, ZOOKEEPER_SERVERS: servers },
    stdio: 'ignore',
    timeout: 10_000,
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

const resolvable = 'localhost:2888:3888;localhost:2888:3888;localhost:2888:3888';
const oneMissing = 'localhost:2888:3888;zk-1.zk-headless.invalid:2888:3888;localhost:2888:3888';

describe('ZooKeeper readiness probe (srvr over bash /dev/tcp)', () => {
  const servers: Server[] = [];
  afterAll(() => servers.forEach((s) => s.close()));
  const start = async (answer: string) => {
    const server = await srvrServer(answer);
    servers.push(server);
    return (server.address() as AddressInfo).port;
  };

  test('serving (Mode: …): ready', async () => {
    const port = await start(SERVING);
    expect(await probe(port, resolvable)).toBe(0);
  });

  test('answering but not serving, every member resolvable: not ready (a restarted member rejoining)', async () => {
    const port = await start(NOT_SERVING);
    expect(await probe(port, resolvable)).toBe(1);
  });

  test('answering but not serving while a member has no DNS record (first install, OrderedReady): ready', async () => {
    const port = await start(NOT_SERVING);
    expect(await probe(port, oneMissing)).toBe(0);
  });

  test('an answer that is neither (a 4lw not whitelisted, garbage): not ready', async () => {
    const port = await start('srvr is not executed because it is not in the whitelist.\n');
    expect(await probe(port, oneMissing)).toBe(1);
  });

  test('nothing listening: not ready', async () => {
    const server = await srvrServer(SERVING);
    const port = (server.address() as AddressInfo).port;
    await new Promise((resolve) => server.close(resolve));
    expect(await probe(port, oneMissing)).toBe(1);
  });
});
