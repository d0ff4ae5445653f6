import { execFileSync } from 'node:child_process';
import {
  closeSync,
  constants,
  mkdtempSync,
  openSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { readAllInput, writeAllOutput, type StdioEnds } from '../../../src/postrender/whole-stdio';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kw-stdio-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function ends(overrides: Partial<StdioEnds>): StdioEnds {
  return {
    readFd: -1,
    writeFd: -1,
    input: () => {
      throw new Error('the stream was not expected to be used');
    },
    output: () => {
      throw new Error('the stream was not expected to be used');
    },
    writeSync: (fd, buffer, offset) => writeSync(fd, buffer, offset),
    ...overrides,
  };
}

/** A FIFO whose read end is non-blocking, with a writer holding it open (so reads say EAGAIN). */
async function withNonBlockingFifo(
  use: (readFd: number, writerFd: number) => Promise<void>,
): Promise<void> {
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const readFd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const writerFd = openSync(fifo, constants.O_WRONLY);
  try {
    await use(readFd, writerFd);
  } finally {
    closeSync(writerFd);
    closeSync(readFd);
  }
}

describe('readAllInput', () => {
  it('reads a whole descriptor synchronously, multi-byte characters intact', async () => {
    const file = join(dir, 'in.yaml');
    const text = `kind: ConfigMap\ndata:\n  note: "naïve — ✓"\n${'x: 1\n'.repeat(50_000)}`;
    writeFileSync(file, text);
    const fd = openSync(file, 'r');
    try {
      await expect(readAllInput(ends({ readFd: fd }))).resolves.toBe(text);
    } finally {
      closeSync(fd);
    }
  });

  it('falls back to the stream when the descriptor is non-blocking and empty (EAGAIN)', async () => {
    await withNonBlockingFifo(async (readFd) => {
      const input = await readAllInput(
        ends({
          readFd,
          input: () => Readable.from([Buffer.from('a: 1\n'), Buffer.from('b: 2\n')]),
        }),
      );
      expect(input).toBe('a: 1\nb: 2\n');
    });
  });

  it('keeps what it read before the descriptor would block, then adds what the stream reads', async () => {
    await withNonBlockingFifo(async (readFd, writerFd) => {
      writeSync(writerFd, 'first: 1\n---\n');
      const input = await readAllInput(
        ends({ readFd, input: () => Readable.from([Buffer.from('second: 2\n')]) }),
      );
      expect(input).toBe('first: 1\n---\nsecond: 2\n');
    });
  });

  it('passes on any other read error', async () => {
    await expect(readAllInput(ends({ readFd: 987654 }))).rejects.toMatchObject({ code: 'EBADF' });
  });
});

describe('writeAllOutput', () => {
  it('writes every byte to the descriptor, looping over short writes', async () => {
    const written: Buffer[] = [];
    const text = 'ünïcode\n'.repeat(10_000);
    await writeAllOutput(
      text,
      ends({
        writeSync: (_fd, buffer, offset) => {
          const n = Math.min(4096, buffer.length - offset);
          written.push(Buffer.from(buffer.subarray(offset, offset + n)));
          return n;
        },
      }),
    );
    expect(Buffer.concat(written).toString('utf8')).toBe(text);
  });

  it('hands the rest to the stream, in order, when the descriptor would block part-way', async () => {
    const written: Buffer[] = [];
    const stream = new PassThrough();
    const streamed: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => streamed.push(chunk));
    const text = 'line\n'.repeat(30_000);
    let calls = 0;
    await writeAllOutput(
      text,
      ends({
        writeSync: (_fd, buffer, offset) => {
          if (++calls > 2) throw Object.assign(new Error('EAGAIN'), { code: 'EAGAIN' });
          written.push(Buffer.from(buffer.subarray(offset, offset + 1000)));
          return 1000;
        },
        output: () => stream,
      }),
    );
    expect(Buffer.concat([...written, ...streamed]).toString('utf8')).toBe(text);
    expect(Buffer.concat(written).length).toBe(2000);
  });

  it('passes on any other write error (EPIPE: Helm went away)', async () => {
    await expect(
      writeAllOutput(
        'x',
        ends({
          writeSync: () => {
            throw Object.assign(new Error('EPIPE'), { code: 'EPIPE' });
          },
        }),
      ),
    ).rejects.toMatchObject({ code: 'EPIPE' });
  });
});
