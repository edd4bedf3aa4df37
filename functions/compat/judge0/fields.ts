/**
 * Judge0's `?fields=`: a comma list of submission attributes, `*` for all,
 * empty for the default eight; an unknown name is a 400 listing them.
 */
export const SUBMISSION_FIELDS = [
  'source_code', 'language_id', 'stdin', 'expected_output', 'stdout', 'status_id', 'created_at', 'finished_at',
  'time', 'memory', 'stderr', 'token', 'number_of_runs', 'cpu_time_limit', 'cpu_extra_time', 'wall_time_limit',
  'memory_limit', 'stack_limit', 'max_processes_and_or_threads', 'enable_per_process_and_thread_time_limit',
  'enable_per_process_and_thread_memory_limit', 'max_file_size', 'compile_output', 'exit_code', 'exit_signal',
  'message', 'wall_time', 'compiler_options', 'command_line_arguments', 'redirect_stderr_to_stdout',
  'callback_url', 'additional_files', 'enable_network', 'status', 'language',
] as const;
export type SubmissionField = (typeof SUBMISSION_FIELDS)[number];

export const DEFAULT_FIELDS: SubmissionField[] = ['token', 'time', 'memory', 'stdout', 'stderr', 'compile_output', 'message', 'status'];

export type RequestedFields = { ok: true; fields: SubmissionField[] } | { ok: false; invalid: string[] };

export function requestedFields(param: string | undefined): RequestedFields {
  const names = (param ?? '').split(',').filter((name) => name !== '');
  const isField = (name: string): name is SubmissionField => (SUBMISSION_FIELDS as readonly string[]).includes(name);
  const invalid = names.filter((name) => name !== '*' && !isField(name));
  if (invalid.length > 0) return { ok: false, invalid };
  if (names.includes('*')) return { ok: true, fields: [...SUBMISSION_FIELDS] };
  const valid = [...new Set(names.filter(isField))];
  return { ok: true, fields: valid.length > 0 ? valid : DEFAULT_FIELDS };
}
