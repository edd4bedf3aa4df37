/**
 * What `runplane run` exits with, like a shell reports a process: the
 * program's exit code; 128 + the signal's number when a signal ended it (a
 * time limit's SIGKILL gives 137); the compiler's code when it did not
 * compile; and RUNPLANE_ERROR for our own failures (a bad request, a refused
 * key, an unreachable API, a job the platform could not run), chosen like
 * `docker run`'s 125 so a script can tell them from the program's.
 */
import { constants } from 'node:os';
import type { JobResult } from '../../core/contract.ts';

export const RUNPLANE_ERROR = 125;

export function exitCodeOf(result: Pick<JobResult, 'verdict' | 'exitCode' | 'signal' | 'compile'>): number {
  if (result.verdict === 'compile_error') return result.compile?.exitCode || 1;
  if (result.verdict === 'internal_error') return RUNPLANE_ERROR;
  if (result.signal) {
    const number = constants.signals[result.signal as keyof typeof constants.signals];
    if (number) return 128 + number;
  }
  return result.exitCode ?? RUNPLANE_ERROR;
}
