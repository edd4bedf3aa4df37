/**
 * Per-job limits: what a job gets when it asks for nothing, and the most it
 * may ask for. Run limits and compile limits are separate: a compiler needs
 * more time than most programs, and its time must not eat the program's.
 */
export const LIMIT_NAMES = [
  'wallTimeMs',
  'cpuTimeMs',
  'memoryMb',
  'processes',
  'outputBytes',
  'fileSizeBytes',
  'openFiles',
  'compileWallTimeMs',
  'compileCpuTimeMs',
  'outputFilesBytes',
] as const;
export type LimitName = (typeof LIMIT_NAMES)[number];

export const DEFAULT_LIMITS: Record<LimitName, number> = {
  wallTimeMs: 5_000,
  cpuTimeMs: 5_000,
  memoryMb: 256,
  processes: 64,
  outputBytes: 64 * 1024,
  fileSizeBytes: 16 * 1024 * 1024,
  openFiles: 256,
  compileWallTimeMs: 15_000,
  compileCpuTimeMs: 15_000,
  outputFilesBytes: 1024 * 1024,
};

export const MIN_LIMITS: Record<LimitName, number> = {
  wallTimeMs: 100,
  cpuTimeMs: 100,
  memoryMb: 32,
  processes: 4,
  outputBytes: 1024,
  fileSizeBytes: 1024,
  openFiles: 16,
  compileWallTimeMs: 1_000,
  compileCpuTimeMs: 1_000,
  outputFilesBytes: 1024,
};

export const MAX_LIMITS: Record<LimitName, number> = {
  wallTimeMs: 20_000,
  cpuTimeMs: 20_000,
  memoryMb: 1024,
  processes: 256,
  outputBytes: 1024 * 1024,
  fileSizeBytes: 64 * 1024 * 1024,
  openFiles: 1024,
  compileWallTimeMs: 30_000,
  compileCpuTimeMs: 30_000,
  // Files come back inside the result: with 1 MiB per output stream (stdout,
  // stderr, the compiler's two) and base64's 4/3, a result stays under Lambda's
  // 6 MB response limit for `POST /run` with `wait`.
  outputFilesBytes: 1024 * 1024,
};

/** Request body size caps, checked before parsing (answered with 413). */
export const MAX_SOURCE_BYTES = 256 * 1024;
export const MAX_STDIN_BYTES = 1024 * 1024;
/** Extra files: how many, and their total size (with `source`). */
export const MAX_FILES = 32;
export const MAX_TOTAL_FILES_BYTES = 1024 * 1024;
export const MAX_ARGS = 64;
/** `outputs`: how many globs a request may give, and how many files come back at most. */
export const MAX_OUTPUT_GLOBS = 16;
export const MAX_OUTPUT_FILES = 16;
/** Inputs up to this size ride inline in the SQS message (SQS caps messages at 256 KB). */
export const INLINE_INPUT_MAX_BYTES = 64 * 1024;
/**
 * Inputs up to this size are kept in the job's DynamoDB record instead of an S3 object: one write
 * fewer on the submission's path (an S3 PUT was ~2 ms of CPU locally, and tens of ms in AWS) and,
 * below ~2 KiB, cheaper than the PUT (the three writes of the record grow by at most 2 write units
 * each). Micro-tasks, the service's main load, are far below it.
 */
export const RECORD_INPUT_MAX_BYTES = 2 * 1024;
