/**
 * Samples the topic's in-sync replicas once a second (kafkajs admin metadata): a second with any
 * partition's ISR below `min.insync.replicas` counts as below min ISR (acks=all sends to it fail),
 * a second with any partition short of its full replica set counts as under-replicated, and a
 * second whose metadata could not be read at all counts as unknown (reported, never assumed fine).
 */
import type { Admin, Kafka } from 'kafkajs';

export interface IsrCounts {
  samples: number;
  belowMinIsr: number;
  underReplicated: number;
  unknown: number;
  /** Smallest ISR seen on any partition. */
  minIsrSeen: number;
}

export class IsrMonitor {
  private admin: Admin;
  private timer: NodeJS.Timeout | undefined;
  private sampling = false;
  private counts: IsrCounts = {
    samples: 0,
    belowMinIsr: 0,
    underReplicated: 0,
    unknown: 0,
    minIsrSeen: Infinity,
  };

  constructor(
    kafka: Kafka,
    private readonly topic: string,
    private readonly minIsr: number,
  ) {
    this.admin = kafka.admin({ retry: { retries: 1 } });
  }

  async start(): Promise<void> {
    await this.admin.connect();
    this.timer = setInterval(() => void this.sample(), 1_000);
  }

  private async sample(): Promise<void> {
    if (this.sampling) return;
    this.sampling = true;
    this.counts.samples++;
    try {
      const metadata = await Promise.race([
        this.admin.fetchTopicMetadata({ topics: [this.topic] }),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 2_000)),
      ]);
      const partitions = metadata.topics[0]?.partitions ?? [];
      if (partitions.length === 0) throw new Error('no partitions');
      const isr = partitions.map((p) => p.isr.length);
      const smallest = Math.min(...isr);
      this.counts.minIsrSeen = Math.min(this.counts.minIsrSeen, smallest);
      if (smallest < this.minIsr) this.counts.belowMinIsr++;
      if (partitions.some((p) => p.isr.length < p.replicas.length)) this.counts.underReplicated++;
    } catch {
      this.counts.unknown++;
    } finally {
      this.sampling = false;
    }
  }

  /** The counts since the last reset. */
  snapshot(): IsrCounts {
    return { ...this.counts };
  }

  reset(): void {
    this.counts = {
      samples: 0,
      belowMinIsr: 0,
      underReplicated: 0,
      unknown: 0,
      minIsrSeen: Infinity,
    };
  }

  /** Resolves when every partition has its full ISR (bounded). */
  async fullIsr(timeoutMs: number): Promise<number> {
    const started = Date.now();
    while (Date.now() - started < timeoutMs) {
      try {
        const metadata = await this.admin.fetchTopicMetadata({ topics: [this.topic] });
        const partitions = metadata.topics[0]?.partitions ?? [];
        if (partitions.length > 0 && partitions.every((p) => p.isr.length === p.replicas.length)) {
          return Date.now() - started;
        }
      } catch {
        // a broker restarting: try again
      }
      await new Promise((r) => setTimeout(r, 1_000));
    }
    throw new Error(`topic ${this.topic}: ISR not full within ${timeoutMs} ms`);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.admin.disconnect();
  }
}
