/**
 * Writes a job's `job.output` events to our stdout and stderr in `seq` order
 * (holding any that arrive early), and at the end the part of the result that
 * the stream did not carry (an event lost with a relay, say), so the printed
 * output is always the result's.
 */
import type { Writable } from 'node:stream';
import type { JobOutputEvent } from '../../core/contract.ts';

type Streams = Record<JobOutputEvent['stream'], Writable>;

export class OrderedOutput {
  private next = 1;
  private readonly early = new Map<number, JobOutputEvent>();
  private readonly written = { stdout: 0, stderr: 0 };

  constructor(private readonly streams: Streams) {}

  add(event: JobOutputEvent): void {
    if (event.seq < this.next) return; // seen already (a late subscriber may get one twice)
    this.early.set(event.seq, event);
    for (let ready = this.early.get(this.next); ready; ready = this.early.get(this.next)) {
      this.early.delete(this.next++);
      this.write(ready.stream, ready.data);
    }
  }

  /** The job's final output: writes what the stream has not written of it. */
  finish(result: { stdout: string; stderr: string }): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      if (result[stream].length > this.written[stream]) this.write(stream, result[stream].slice(this.written[stream]));
    }
  }

  private write(stream: JobOutputEvent['stream'], data: string): void {
    this.written[stream] += data.length;
    this.streams[stream].write(data);
  }
}
