/**
 * Small kafkajs routines the tests share: every one connects, does its work within a bound and
 * disconnects, so a refused connection fails the test instead of leaving a client retrying.
 */
import type { Admin, Kafka } from 'kafkajs';

export async function withAdmin<T>(
  kafka: Kafka,
  work: (admin: Admin) => Promise<T>,
  options: { retries?: number } = {},
): Promise<T> {
  const admin = kafka.admin(
    options.retries === undefined ? {} : { retry: { retries: options.retries } },
  );
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Messages "0" … "count-1", keyed by their number, acknowledged by all in-sync replicas. */
export async function produceNumbered(kafka: Kafka, topic: string, count: number): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: count }, (_, i) => ({ key: String(i), value: String(i) })),
    });
  } finally {
    await producer.disconnect();
  }
}

/**
 * Reads `topic` from the beginning in a fresh group until `count` distinct values arrived, and
 * returns them sorted. Distinct: delivery is at least once, and a rebalance while the new group
 * settles (it has committed nothing yet) legitimately delivers some messages twice.
 */
export async function consumeAll(
  kafka: Kafka,
  topic: string,
  count: number,
  timeoutMs = 60_000,
): Promise<string[]> {
  const consumer = kafka.consumer({
    groupId: `e2e-${topic}-${Date.now()}`,
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
  });
  const values = new Set<string>();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(`${values.size} of ${count} messages from ${topic} within ${timeoutMs} ms`),
          ),
        timeoutMs,
      );
      consumer
        .run({
          eachMessage: ({ message }) => {
            values.add(message.value?.toString() ?? '');
            if (values.size >= count) {
              clearTimeout(timer);
              resolve();
            }
            return Promise.resolve();
          },
        })
        .catch((error: unknown) => {
          clearTimeout(timer);
          reject(error instanceof Error ? error : new Error(String(error)));
        });
    });
  } finally {
    await consumer.disconnect();
  }
  return [...values].sort();
}

/**
 * The error a routine rejected with, and every cause under it (kafkajs wraps the socket's error
 * in retry and connection errors), as one line per level: message and code.
 */
export async function failureOf(work: Promise<unknown>): Promise<string> {
  try {
    await work;
  } catch (error) {
    const levels: string[] = [];
    let current: unknown = error;
    while (current instanceof Error && levels.length < 10) {
      const code = (current as { code?: unknown }).code;
      levels.push(
        `${current.name}: ${current.message}${typeof code === 'string' ? ` [${code}]` : ''}`,
      );
      current = current.cause;
    }
    return levels.join('\n');
  }
  throw new Error('expected a failure, but it succeeded');
}
