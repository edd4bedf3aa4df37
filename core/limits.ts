/** Per-job limits: what a job gets when it asks for nothing, and the most it may ask for. */
export const DEFAULT_LIMITS = {
  wallTimeMs: 5_000,
  outputBytes: 64 * 1024,
  compileWallTimeMs: 15_000,
} as const;

export const MAX_LIMITS = {
  wallTimeMs: 20_000,
  outputBytes: 1024 * 1024,
  compileWallTimeMs: 30_000,
} as const;

/** Request body size caps, checked before parsing (answered with 413). */
export const MAX_SOURCE_BYTES = 256 * 1024;
export const MAX_STDIN_BYTES = 1024 * 1024;
/** Inputs up to this size ride inline in the SQS message (SQS caps messages at 256 KB). */
export const INLINE_INPUT_MAX_BYTES = 64 * 1024;
