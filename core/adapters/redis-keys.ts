/**
 * Redis key and channel names. The job id sits in a hash tag (`{…}`) so that
 * all keys of one job hash to the same slot and stay valid in cluster mode.
 */
export const redisKeys = {
  job: (jobId: string) => `rp:job:{${jobId}}`,
  jobEvents: (jobId: string) => `rp:job:{${jobId}}:events`,
  /** Pattern the WebSocket relay subscribes to. */
  allJobEvents: 'rp:job:*:events',
  /** Runtime versions read from the sandbox image by a worker. */
  languages: 'rp:languages',
} as const;
