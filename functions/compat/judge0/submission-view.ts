/**
 * A job of ours as a Judge0 submission: Judge0's attribute names and units
 * (seconds as decimal strings, KB), its nulls for empty output, its
 * Base64, and only the requested fields.
 */
import { constants } from 'node:os';
import type { JobInput, JobRecord, JobResult } from '../../../core/contract.ts';
import { encode64 } from './base64.ts';
import { LIMIT_OF_FIELD, NUMERIC_FIELDS } from './config.ts';
import type { SubmissionField } from './fields.ts';
import { judge0IdOf, judge0LanguageById, languageName } from './languages.ts';
import type { SubmissionSettings } from './request.ts';
import { judge0Outcome } from './runs.ts';
import { jobStatus } from './statuses.ts';
import type { RuntimeVersions } from '../shared/versions.ts';

export type SubmissionJob = Pick<JobRecord, 'jobId' | 'status' | 'language' | 'limits' | 'createdAt' | 'finishedAt' | 'result' | 'error'>;

export interface ViewOptions {
  fields: SubmissionField[];
  base64: boolean;
  /** Judge0's settings as submitted; absent (expired), they are derived from the job's limits. */
  settings?: SubmissionSettings;
  /** The job's input, needed only for source_code, stdin and expected_output. */
  input?: JobInput;
  versions: RuntimeVersions;
}

/** Rails renders a decimal column as a string with at least one decimal: "0.012", "1.0". */
export function decimal(value: number | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const text = String(Number(value.toFixed(3)));
  return text.includes('.') ? text : `${text}.0`;
}

const signalNumber = (name: string | null) => (name ? ((constants.signals as Record<string, number>)[name] ?? null) : null);

/** isolate's wording, which Judge0 passes on as `message`. */
function isolateMessage(result: JobResult): string | null {
  if (result.verdict === 'time_limit_exceeded') return /wall/.test(result.message ?? '') ? 'Time limit exceeded (wall clock)' : 'Time limit exceeded';
  if (result.verdict === 'memory_limit_exceeded') return 'Caught fatal signal 9';
  if (result.verdict === 'output_limit_exceeded') return 'Caught fatal signal 25';
  if (result.signal) return `Caught fatal signal ${signalNumber(result.signal) ?? result.signal}`;
  if (result.exitCode !== null && result.exitCode !== 0) return `Exited with error status ${result.exitCode}`;
  return null;
}

function compileOutput(result: JobResult): string | null {
  if (!result.compile) return null;
  if (result.verdict === 'compile_error' && /time limit/.test(result.message ?? '')) return 'Compilation time limit exceeded.';
  return `${result.compile.stdout}${result.compile.stderr}` || null;
}

function derivedSettings(job: SubmissionJob): SubmissionSettings {
  const defaults = Object.fromEntries(Object.entries(NUMERIC_FIELDS).map(([f, spec]) => [f, spec.default])) as Record<keyof typeof NUMERIC_FIELDS, number>;
  for (const [field, mapping] of Object.entries(LIMIT_OF_FIELD)) defaults[field as keyof typeof NUMERIC_FIELDS] = mapping.toJudge0(job.limits[mapping.limit]);
  if (job.limits.stackKb !== undefined) defaults.stack_limit = job.limits.stackKb;
  return {
    language_id: judge0IdOf(job.language),
    ...defaults,
    enable_per_process_and_thread_time_limit: false,
    enable_per_process_and_thread_memory_limit: false,
    redirect_stderr_to_stdout: false,
    enable_network: false,
    command_line_arguments: null,
    compiler_options: null,
  };
}

/** Every Judge0 attribute of the submission, before `fields` and Base64. */
function attributes(job: SubmissionJob, options: ViewOptions): Record<SubmissionField, unknown> {
  const settings = options.settings ?? derivedSettings(job);
  const result = job.status === 'completed' && job.result ? judge0Outcome(job.result, options.settings) : undefined;
  const status = jobStatus({ status: job.status, result });
  const compiled = result?.verdict === 'compile_error';
  const ran = result && !compiled ? result : undefined;
  const merge = settings.redirect_stderr_to_stdout;
  const language = judge0LanguageById(settings.language_id);
  return {
    source_code: options.input?.source ?? null,
    language_id: settings.language_id,
    // number_of_runs > 1 ran as tests, all with the submission's one input.
    stdin: (options.input?.tests?.[0]?.stdin ?? options.input?.stdin) || null,
    expected_output: options.input?.tests?.[0]?.expectedOutput ?? options.input?.expectedOutput ?? null,
    stdout: ran ? (merge ? `${ran.stdout}${ran.stderr}` : ran.stdout) || null : null,
    status_id: status.id,
    created_at: job.createdAt,
    finished_at: job.finishedAt ?? null,
    time: ran ? decimal(ran.cpuTimeMs / 1000) : null,
    memory: ran ? ran.memoryKb : null,
    stderr: ran && !merge ? ran.stderr || null : null,
    token: job.jobId,
    number_of_runs: settings.number_of_runs,
    cpu_time_limit: decimal(settings.cpu_time_limit),
    cpu_extra_time: decimal(settings.cpu_extra_time),
    wall_time_limit: decimal(settings.wall_time_limit),
    memory_limit: settings.memory_limit,
    stack_limit: settings.stack_limit,
    max_processes_and_or_threads: settings.max_processes_and_or_threads,
    enable_per_process_and_thread_time_limit: settings.enable_per_process_and_thread_time_limit,
    enable_per_process_and_thread_memory_limit: settings.enable_per_process_and_thread_memory_limit,
    max_file_size: settings.max_file_size,
    compile_output: result ? compileOutput(result) : null,
    // isolate reports exit code 0 when a signal ended the program.
    exit_code: ran ? (ran.exitCode ?? 0) : null,
    exit_signal: ran ? signalNumber(ran.signal) : null,
    message: job.status === 'failed' ? (job.error?.message ?? null) : ran ? isolateMessage(ran) : null,
    wall_time: ran ? decimal(ran.timeMs / 1000) : null,
    compiler_options: settings.compiler_options,
    command_line_arguments: settings.command_line_arguments,
    redirect_stderr_to_stdout: settings.redirect_stderr_to_stdout,
    callback_url: settings.callback_url ?? null,
    additional_files: null,
    enable_network: settings.enable_network,
    status: { id: status.id, description: status.description },
    language: language ? { id: language.id, name: languageName(language, options.versions) } : null,
  };
}

const TEXT_FIELDS = new Set<SubmissionField>(['source_code', 'stdin', 'expected_output', 'stdout', 'stderr', 'compile_output', 'message']);

export function submissionView(job: SubmissionJob, options: ViewOptions): Record<string, unknown> {
  const all = attributes(job, options);
  return Object.fromEntries(
    options.fields.map((field) => {
      const value = all[field];
      return [field, options.base64 && TEXT_FIELDS.has(field) && typeof value === 'string' ? encode64(value) : value];
    }),
  );
}
