/**
 * Splits the supervisor's stdout into newline-ended lines without re-reading
 * what it already read: chunks stay Buffers until a line is complete, and
 * only each new chunk is searched for the newline, so a multi-megabyte reply
 * in many small chunks costs one pass, not one pass per chunk (the agent's
 * event loop stalled ~1.6 s on a 4 MB reply when the text was re-scanned from
 * its start for every chunk). A line longer than the cap is refused before it
 * is kept: a broken supervisor must not grow the agent's memory without end.
 */
export class ReplyTooLargeError extends Error {
  override name = 'ReplyTooLargeError';
}

const NEWLINE = 0x0a;

export class ReplyLines {
  private chunks: Buffer[] = [];
  private held = 0;
  /** Bytes searched for a newline so far: each byte once (a test reads this). */
  scannedBytes = 0;

  constructor(private readonly maxLineBytes: number) {}

  /** Adds a chunk; returns the lines it completes, without their newline. */
  push(chunk: Buffer): Buffer[] {
    const lines: Buffer[] = [];
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(NEWLINE, start);
      this.scannedBytes += (newline === -1 ? chunk.length : newline + 1) - start;
      const end = newline === -1 ? chunk.length : newline;
      if (this.held + end - start > this.maxLineBytes) {
        throw new ReplyTooLargeError(`sandbox supervisor wrote a line over ${this.maxLineBytes} bytes`);
      }
      if (newline === -1) break;
      lines.push(this.take(chunk.subarray(start, end)));
      start = newline + 1;
    }
    if (start < chunk.length) {
      this.chunks.push(chunk.subarray(start));
      this.held += chunk.length - start;
    }
    return lines;
  }

  private take(last: Buffer): Buffer {
    const line = this.chunks.length ? Buffer.concat([...this.chunks, last]) : last;
    this.chunks = [];
    this.held = 0;
    return line;
  }
}
