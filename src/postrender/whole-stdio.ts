/**
 * Whole-stream stdin and stdout for the post-renderer, which reads a release once and writes it
 * once. Synchronous reads and writes on the file descriptors skip creating Node's stdio streams and
 * the event-loop round trips of a stream read, a measurable share of a process run that Helm pays
 * on every install, upgrade and template (bench/README.md, History, "Synchronous stdin and
 * stdout"). Helm hands the post-renderer ordinary blocking pipes; a descriptor opened non-blocking
 * (EAGAIN) falls back to the streams, which wait for it properly.
 */
import { readSync, writeSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';

const STDIN = 0;
const STDOUT = 1;

function wouldBlock(error: unknown): boolean {
  return (error as NodeJS.ErrnoException)?.code === 'EAGAIN';
}

export interface StdioEnds {
  readFd: number;
  writeFd: number;
  /** Read only when the descriptor is non-blocking: it continues where the reads stopped. */
  input: () => Readable;
  output: () => Writable;
  /** fs.writeSync, replaceable so a test can make a descriptor would-block part-way. */
  writeSync: (fd: number, buffer: Buffer, offset: number) => number;
}

const PROCESS_STDIO: StdioEnds = {
  readFd: STDIN,
  writeFd: STDOUT,
  input: () => process.stdin,
  output: () => process.stdout,
  writeSync: (fd, buffer, offset) => writeSync(fd, buffer, offset),
};

const READ_CHUNK_BYTES = 256 * 1024;

export async function readAllInput(ends: StdioEnds = PROCESS_STDIO): Promise<string> {
  const chunks: Buffer[] = [];
  const buffer = Buffer.allocUnsafe(READ_CHUNK_BYTES);
  for (;;) {
    let read: number;
    try {
      read = readSync(ends.readFd, buffer, 0, buffer.length, null);
    } catch (error) {
      if (!wouldBlock(error)) throw error;
      // Nothing to read yet on a non-blocking descriptor: what was read so far is kept, and the
      // stream waits for the rest.
      for await (const chunk of ends.input()) chunks.push(chunk as Buffer);
      break;
    }
    if (read === 0) break;
    chunks.push(Buffer.from(buffer.subarray(0, read)));
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Resolves once every byte is handed to the descriptor (or its stream), in order. */
export async function writeAllOutput(text: string, ends: StdioEnds = PROCESS_STDIO): Promise<void> {
  const bytes = Buffer.from(text, 'utf8');
  let offset = 0;
  try {
    while (offset < bytes.length) offset += ends.writeSync(ends.writeFd, bytes, offset);
    return;
  } catch (error) {
    if (!wouldBlock(error)) throw error;
  }
  const rest = bytes.subarray(offset);
  const output = ends.output();
  await new Promise<void>((resolve, reject) =>
    output.write(rest, (error) => (error ? reject(error) : resolve())),
  );
}
