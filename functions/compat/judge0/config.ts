/**
 * Judge0 CE 1.13.1's configuration (its defaults and maximums, Judge0 units:
 * seconds, KB) as this API applies it, and how each maps onto our limits.
 * Every Judge0 maximum fits inside our platform's (core/limits.ts), so a
 * request Judge0 accepts is one we can run; Judge0 minimums below ours are
 * raised to ours (a 0 s CPU limit runs with 100 ms).
 */
import { MAX_LIMITS, MAX_TOTAL_FILES_BYTES, MIN_LIMITS, type LimitName } from '../../../core/limits.ts';

export const JUDGE0_VERSION = '1.13.1';
/** What the workers' callback sender does (worker/config.ts defaults), as Judge0's config_info shows it. */
export const CALLBACK_TRIES = 3;
export const CALLBACK_TIMEOUT_MS = 5_000;
export const MAX_SUBMISSION_BATCH_SIZE = 20;

/** Judge0's numeric submission fields: default, bounds, and Rails' rendering of the maximum. */
export const NUMERIC_FIELDS = {
  number_of_runs: { default: 1, min: 0, minInclusive: false, max: 20, maxText: '20', integer: true },
  cpu_time_limit: { default: 5, min: 0, minInclusive: true, max: 15, maxText: '15.0', integer: false },
  cpu_extra_time: { default: 1, min: 0, minInclusive: true, max: 5, maxText: '5.0', integer: false },
  wall_time_limit: { default: 10, min: 1, minInclusive: true, max: 20, maxText: '20.0', integer: false },
  memory_limit: { default: 128_000, min: 2048, minInclusive: true, max: 512_000, maxText: '512000', integer: true },
  stack_limit: { default: 64_000, min: 0, minInclusive: true, max: 128_000, maxText: '128000', integer: true },
  max_processes_and_or_threads: { default: 60, min: 0, minInclusive: false, max: 120, maxText: '120', integer: true },
  max_file_size: { default: 1024, min: 0, minInclusive: true, max: 4096, maxText: '4096', integer: true },
} as const;
export type NumericField = keyof typeof NUMERIC_FIELDS;

/** Judge0 field → our limit, and the conversion from Judge0's unit to ours. */
export const LIMIT_OF_FIELD: Partial<Record<NumericField, { limit: LimitName; toOurs: (v: number) => number; toJudge0: (v: number) => number }>> = {
  cpu_time_limit: { limit: 'cpuTimeMs', toOurs: (s) => Math.round(s * 1000), toJudge0: (ms) => ms / 1000 },
  wall_time_limit: { limit: 'wallTimeMs', toOurs: (s) => Math.round(s * 1000), toJudge0: (ms) => ms / 1000 },
  memory_limit: { limit: 'memoryMb', toOurs: (kb) => Math.ceil(kb / 1024), toJudge0: (mb) => mb * 1024 },
  max_processes_and_or_threads: { limit: 'processes', toOurs: (n) => n, toJudge0: (n) => n },
  max_file_size: { limit: 'fileSizeBytes', toOurs: (kb) => kb * 1024, toJudge0: (bytes) => Math.floor(bytes / 1024) },
};

/** Our limit, raised to our minimum and kept within our maximum. */
export const withinOurs = (limit: LimitName, value: number) => Math.min(MAX_LIMITS[limit], Math.max(MIN_LIMITS[limit], value));

/** `GET /config_info`: Judge0's keys, with this API's values. */
export function configInfo(maxQueueSize: number) {
  const n = NUMERIC_FIELDS;
  return {
    maintenance_mode: false,
    enable_wait_result: true,
    enable_compiler_options: true,
    allowed_languages_for_compile_options: [],
    enable_command_line_arguments: true,
    enable_submission_delete: false,
    enable_callbacks: true,
    callbacks_max_tries: CALLBACK_TRIES,
    callbacks_timeout: CALLBACK_TIMEOUT_MS / 1000,
    enable_additional_files: true,
    max_queue_size: maxQueueSize,
    cpu_time_limit: n.cpu_time_limit.default,
    max_cpu_time_limit: n.cpu_time_limit.max,
    cpu_extra_time: n.cpu_extra_time.default,
    max_cpu_extra_time: n.cpu_extra_time.max,
    wall_time_limit: n.wall_time_limit.default,
    max_wall_time_limit: n.wall_time_limit.max,
    memory_limit: n.memory_limit.default,
    max_memory_limit: n.memory_limit.max,
    stack_limit: n.stack_limit.default,
    max_stack_limit: n.stack_limit.max,
    max_processes_and_or_threads: n.max_processes_and_or_threads.default,
    max_max_processes_and_or_threads: n.max_processes_and_or_threads.max,
    enable_per_process_and_thread_time_limit: false,
    allow_enable_per_process_and_thread_time_limit: false,
    enable_per_process_and_thread_memory_limit: false,
    allow_enable_per_process_and_thread_memory_limit: false,
    max_file_size: n.max_file_size.default,
    max_max_file_size: n.max_file_size.max,
    number_of_runs: n.number_of_runs.default,
    max_number_of_runs: n.number_of_runs.max,
    redirect_stderr_to_stdout: false,
    max_extract_size: MAX_TOTAL_FILES_BYTES / 1024,
    enable_batched_submissions: true,
    max_submission_batch_size: MAX_SUBMISSION_BATCH_SIZE,
    submission_cache_duration: 0,
    use_docs_as_homepage: false,
    allow_enable_network: false,
    enable_network: false,
  };
}
