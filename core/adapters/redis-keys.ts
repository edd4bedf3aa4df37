/**
 * The keys of one job's hot state and the channel of its events: written by
 * HotState (hot-state.ts), listened to by the WebSocket relay and the control
 * plane's job waiter on their own subscriber connections. Every other Redis
 * structure's keys live in the one adapter that reads and writes it:
 * subscriptions.ts (sockets and who watches a job), admission.ts (rate and
 * in-flight limits), idempotency.ts, worker-registry.ts, runtime-versions.ts.
 * The job id sits in a hash tag (`{…}`) so that all keys of one job hash to
 * the same slot and stay valid in cluster mode.
 */
export const redisKeys = {
  job: (jobId: string) => `rp:job:{${jobId}}`,
  /** SCAN pattern and exact test of a job's hot-state key (the pattern also matches the job's other keys). */
  jobScan: 'rp:job:{*',
  isJob: (key: string) => /^rp:job:\{[^}]+\}$/.test(key),
  jobEvents: (jobId: string) => `rp:job:{${jobId}}:events`,
  /** Pattern the WebSocket relay subscribes to. */
  allJobEvents: 'rp:job:*:events',
  /** The job id in a job event channel's name, so a listener can skip an event without parsing it. */
  jobIdOfEventChannel: (channel: string): string | undefined => /^rp:job:\{(.+)\}:events$/.exec(channel)?.[1],
} as const;
