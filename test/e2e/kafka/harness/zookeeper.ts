/**
 * One ZooKeeper server from the Kafka version's own jars (the ZooKeeper those brokers were built
 * against), standalone, on 127.0.0.1 and a port from the kernel, data in the cluster's temp dir.
 * It stands in for the chart's ZooKeeper ensemble, which kafka-warden leaves PLAINTEXT. The port is
 * chosen before the brokers are planned, so a refused plan never starts ZooKeeper.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { delay, startProcess, type ManagedProcess } from './processes';
import { FAST_START_JVM, SMALL_HEAP, words } from './substitutions';

export interface ZooKeeper {
  connect: string;
  process: ManagedProcess;
}

export async function startZooKeeper(options: {
  /** 127.0.0.1:<port>, the port from freePort(). */
  connect: string;
  dir: string;
  java: string;
  classPath: string;
  log4jConfig: string;
  timeoutMs: number;
}): Promise<ZooKeeper> {
  const dataDir = path.join(options.dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const [address, portText] = options.connect.split(':') as [string, string];
  const port = Number(portText);
  const config = path.join(options.dir, 'zoo.cfg');
  writeFileSync(
    config,
    [
      `dataDir=${dataDir}`,
      `clientPort=${port}`,
      `clientPortAddress=${address}`,
      'tickTime=2000',
      'maxClientCnxns=0',
      // Jetty's admin server would take port 8080 on every interface.
      'admin.enableServer=false',
      '4lw.commands.whitelist=ruok,srvr',
      '',
    ].join('\n'),
  );
  const zk = startProcess({
    name: 'zookeeper',
    command: options.java,
    args: [
      ...words(SMALL_HEAP),
      ...FAST_START_JVM,
      `-Dlog4j.configuration=file:${options.log4jConfig}`,
      '-cp',
      options.classPath,
      'org.apache.zookeeper.server.ZooKeeperServerMain',
      config,
    ],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    logFile: path.join(options.dir, 'zookeeper.log'),
  });
  try {
    await waitUntilOk(address, port, zk, options.timeoutMs);
  } catch (error) {
    await zk.stop(0);
    throw error;
  }
  return { connect: options.connect, process: zk };
}

/** ZooKeeper's own health check: `ruok` answered with `imok`. */
async function waitUntilOk(
  address: string,
  port: number,
  zk: ManagedProcess,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!zk.running()) {
      throw new Error(`ZooKeeper exited while starting; ${zk.logFile}:\n${zk.tail()}`);
    }
    if ((await fourLetterWord(address, port, 'ruok')) === 'imok') return;
    await delay(250);
  }
  throw new Error(
    `ZooKeeper not answering ruok within ${timeoutMs} ms; ${zk.logFile}:\n${zk.tail()}`,
  );
}

function fourLetterWord(address: string, port: number, word: string): Promise<string> {
  return new Promise((resolve) => {
    let answer = '';
    const socket = connect({ host: address, port, timeout: 2_000 }, () => socket.write(word));
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.on('end', () => resolve(answer));
    socket.on('timeout', () => socket.destroy());
    socket.on('error', () => resolve(''));
    socket.on('close', () => resolve(answer));
  });
}
