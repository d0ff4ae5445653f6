/**
 * The load that runs throughout a roll: an idempotent producer (`acks=all`, one request in
 * flight) sending numbered messages one after another every `intervalMs`, and a consumer group
 * reading the topic. A send that fails after kafkajs's retries counts as failed (the number is
 * recorded: it may still be in the log, an ambiguous outcome, never counted lost).
 *
 * At the end, `audit()` reads the whole topic with a fresh consumer and counts each number in the
 * log: an acknowledged number never found is lost, a number found twice is duplicated (in the
 * log, not a redelivery to the consumer group).
 */
import type { Kafka, Producer, Consumer } from 'kafkajs';

export interface LoadCounts {
  sent: number;
  acked: number;
  failed: number;
  /** Messages the running consumer group received (redeliveries included). */
  consumed: number;
  /** The longest time the running consumer received nothing while sends were acknowledged. */
  maxConsumerGapMs: number;
  /** First error message of each kind, for the record. */
  errors: Record<string, number>;
}

export interface Audit {
  lost: number;
  duplicated: number;
  /** Failed sends found in the log anyway (written, but the producer was not told). */
  failedButWritten: number;
}

export class Load {
  private producer: Producer;
  private consumer: Consumer;
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  private readonly acked = new Set<number>();
  private readonly failed = new Set<number>();
  private next = 0;
  private consumed = 0;
  private lastConsumedAt = 0;
  private maxGapMs = 0;
  private readonly errors: Record<string, number> = {};

  constructor(
    private readonly kafka: Kafka,
    readonly topic: string,
    private readonly intervalMs = 50,
  ) {
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    this.consumer = kafka.consumer({
      groupId: `rolls-${topic}`,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
    });
  }

  async start(): Promise<void> {
    await this.producer.connect();
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await this.consumer.run({
      eachMessage: async () => {
        const now = Date.now();
        if (this.lastConsumedAt > 0)
          this.maxGapMs = Math.max(this.maxGapMs, now - this.lastConsumedAt);
        this.lastConsumedAt = now;
        this.consumed++;
        return Promise.resolve();
      },
    });
    this.running = true;
    this.loop = this.produce();
  }

  private async produce(): Promise<void> {
    while (this.running) {
      const n = this.next++;
      try {
        await this.producer.send({
          topic: this.topic,
          acks: -1,
          messages: [{ key: String(n), value: String(n) }],
        });
        this.acked.add(n);
      } catch (error) {
        this.failed.add(n);
        const kind = (error as Error).message.slice(0, 120);
        this.errors[kind] = (this.errors[kind] ?? 0) + 1;
      }
      await new Promise((r) => setTimeout(r, this.intervalMs));
    }
  }

  /** Counters so far (a roll's share: the difference of two snapshots). */
  counts(): LoadCounts {
    return {
      sent: this.next,
      acked: this.acked.size,
      failed: this.failed.size,
      consumed: this.consumed,
      maxConsumerGapMs: this.maxGapMs,
      errors: { ...this.errors },
    };
  }

  resetConsumerGap(): void {
    this.maxGapMs = 0;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await Promise.allSettled([this.producer.disconnect(), this.consumer.disconnect()]);
  }

  /**
   * Reads the whole topic (bounded) and compares it with what the producer was told. Done when
   * every acknowledged number was seen, or when every partition was read to its end: then an
   * acknowledged number not seen is lost (reported, not a timeout). A topic not read to its end
   * within `timeoutMs` is an error naming the partitions that were not.
   */
  async audit(timeoutMs = 120_000): Promise<Audit> {
    const seen = new Map<number, number>();
    const admin = this.kafka.admin();
    await admin.connect();
    // The end of each partition now: the load has stopped, nothing is written after this.
    const ends = new Map(
      (await admin.fetchTopicOffsets(this.topic)).map((o) => [o.partition, Number(o.high)]),
    );
    await admin.disconnect();
    const readTo = new Map<number, number>();
    const atEnd = () =>
      [...ends].every(
        ([partition, high]) => high === 0 || (readTo.get(partition) ?? -1) >= high - 1,
      );
    const consumer = this.kafka.consumer({
      groupId: `rolls-audit-${Date.now()}`,
      sessionTimeout: 30_000,
    });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: this.topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        let quietTimer: NodeJS.Timeout | undefined;
        const deadline = setTimeout(() => {
          const behind = [...ends]
            .filter(([partition, high]) => high > 0 && (readTo.get(partition) ?? -1) < high - 1)
            .map(
              ([partition, high]) => `${partition}: ${(readTo.get(partition) ?? -1) + 1}/${high}`,
            );
          reject(
            new Error(
              `audit: topic not read to its end within ${timeoutMs} ms (partition: offsets read/end ${behind.join(', ')})`,
            ),
          );
        }, timeoutMs);
        const done = () => {
          clearTimeout(deadline);
          clearTimeout(quietTimer);
          resolve();
        };
        void consumer
          .run({
            eachMessage: async ({ partition, message }) => {
              const n = Number(message.value?.toString());
              seen.set(n, (seen.get(n) ?? 0) + 1);
              readTo.set(partition, Math.max(readTo.get(partition) ?? -1, Number(message.offset)));
              // Every acknowledged number seen, or the whole topic read: wait a little for
              // stragglers, then stop.
              if (atEnd() || [...this.acked].every((a) => seen.has(a))) {
                clearTimeout(quietTimer);
                quietTimer = setTimeout(done, 3_000);
              }
              return Promise.resolve();
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
    }
    return {
      lost: [...this.acked].filter((n) => !seen.has(n)).length,
      duplicated: [...seen.values()].filter((count) => count > 1).length,
      failedButWritten: [...this.failed].filter((n) => seen.has(n)).length,
    };
  }
}
