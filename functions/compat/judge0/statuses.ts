/**
 * Judge0's 14 statuses, and which one a job of ours is in. Judge0 derives the
 * runtime-error kind from the signal (isolate's `SG` status); a memory-limit
 * kill is a SIGKILL there, hence "Runtime Error (Other)".
 */
import type { JobRecord, JobResult } from '../../../core/contract.ts';

export const JUDGE0_STATUSES = [
  { id: 1, description: 'In Queue' },
  { id: 2, description: 'Processing' },
  { id: 3, description: 'Accepted' },
  { id: 4, description: 'Wrong Answer' },
  { id: 5, description: 'Time Limit Exceeded' },
  { id: 6, description: 'Compilation Error' },
  { id: 7, description: 'Runtime Error (SIGSEGV)' },
  { id: 8, description: 'Runtime Error (SIGXFSZ)' },
  { id: 9, description: 'Runtime Error (SIGFPE)' },
  { id: 10, description: 'Runtime Error (SIGABRT)' },
  { id: 11, description: 'Runtime Error (NZEC)' },
  { id: 12, description: 'Runtime Error (Other)' },
  { id: 13, description: 'Internal Error' },
  { id: 14, description: 'Exec Format Error' },
] as const;

export type Judge0Status = (typeof JUDGE0_STATUSES)[number];
const status = (id: number): Judge0Status => JUDGE0_STATUSES[id - 1]!;

const SIGNAL_STATUS: Record<string, number> = { SIGSEGV: 7, SIGXFSZ: 8, SIGFPE: 9, SIGABRT: 10 };

export function resultStatus(result: JobResult): Judge0Status {
  switch (result.verdict) {
    case 'ok': return status(3);
    case 'wrong_answer': return status(4);
    case 'time_limit_exceeded': return status(5);
    case 'compile_error': return status(6);
    // Judge0 limits output with the file-size rlimit: too much output is a SIGXFSZ there.
    case 'output_limit_exceeded': return status(8);
    case 'memory_limit_exceeded': return status(12);
    case 'internal_error': return status(13);
    case 'runtime_error':
      if (!result.signal) return status(11);
      return status(SIGNAL_STATUS[result.signal] ?? 12);
  }
}

export function jobStatus(job: Pick<JobRecord, 'status' | 'result'>): Judge0Status {
  if (job.status === 'queued') return status(1);
  if (job.status === 'running') return status(2);
  if (job.status === 'failed' || !job.result) return status(13);
  return resultStatus(job.result);
}
