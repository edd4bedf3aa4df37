/**
 * What a streaming or interactive job exchanges with its program while it runs
 * (the supervisor's side: sandbox/supervisor/live_io.py). The executor is told
 * about output as it comes, and an interactive job's input arrives as controls.
 */
export type OutputStream = 'stdout' | 'stderr';

export type StdinControl = { stdin: Buffer } | { eof: true } | { kill: true };

export interface LiveIO {
  /** The run stage's output as the program writes it (coalesced in the sandbox: ~20 ms or 16 KiB). */
  onOutput?: (stream: OutputStream, data: Buffer) => void;
  /**
   * Interactive: keeps the program's stdin open. Called once the job is handed to the
   * supervisor with a function that delivers controls to it; returns a function that
   * stops the input source (called when the job ends, whichever way).
   */
  input?: (send: (control: StdinControl) => void) => () => void;
}
