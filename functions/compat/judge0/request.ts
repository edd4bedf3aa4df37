/**
 * A Judge0 submission → a `POST /run` body for our use case, with Judge0's
 * own validation and messages (`{field: [message]}`, 422). Judge0 is a Rails
 * app: numbers may come as strings, booleans as "true"/"1", unknown fields
 * are ignored, absent ones take the configured default.
 */
import { z } from 'zod';
import { LANGUAGES, type LanguageId } from '../../../core/languages.ts';
import { MAX_FILES, MAX_TOTAL_FILES_BYTES } from '../../../core/limits.ts';
import { unpackAdditionalFiles, ZipRefused, type UnpackedFile } from './additional-files.ts';
import { MAX_TESTS_BYTES } from '../../../core/test-cases.ts';
import { callbackUrlProblem } from '../../../core/callback-target.ts';
import { STACK_KB_BOUNDS, type RunRequest } from '../../../core/contract.ts';
import type { LimitName } from '../../../core/limits.ts';
import { ceilingName, type Tenant } from '../../../core/tenants.ts';
import { commandLineArguments } from './arguments.ts';
import { decode64 } from './base64.ts';
import { LIMIT_OF_FIELD, NUMERIC_FIELDS, withinOurs, type NumericField } from './config.ts';
import { judge0LanguageById } from './languages.ts';

export type FieldErrors = Record<string, string[]>;

/** What GET /submissions shows of the request later: Judge0's values, in Judge0's units. */
export const submissionSettingsSchema = z.object({
  language_id: z.number().int(),
  number_of_runs: z.number(),
  cpu_time_limit: z.number(),
  cpu_extra_time: z.number(),
  wall_time_limit: z.number(),
  memory_limit: z.number(),
  stack_limit: z.number(),
  max_processes_and_or_threads: z.number(),
  max_file_size: z.number(),
  enable_per_process_and_thread_time_limit: z.boolean(),
  enable_per_process_and_thread_memory_limit: z.boolean(),
  redirect_stderr_to_stdout: z.boolean(),
  enable_network: z.boolean(),
  command_line_arguments: z.string().nullable(),
  compiler_options: z.string().nullable(),
  /** Optional: settings stored before callbacks existed have none. */
  callback_url: z.string().nullable().optional(),
});
export type SubmissionSettings = z.infer<typeof submissionSettingsSchema>;

export type ParsedSubmission =
  | { ok: true; run: Omit<RunRequest, 'wait' | 'files' | 'args'> & { args: string[]; files?: UnpackedFile[] }; settings: SubmissionSettings }
  | { ok: false; errors: FieldErrors };

const FALSE_VALUES = new Set([false, 0, '0', 'f', 'F', 'false', 'FALSE', 'False', 'off', 'OFF']);

/** Rails' boolean cast: "" and null are nil, the known false values false, anything else true. */
export function railsBoolean(value: unknown): boolean | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (FALSE_VALUES.has(value as never)) return false;
  return true;
}

const blank = (value: unknown) => value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
const text = (value: unknown): string | undefined => (value === undefined || value === null ? undefined : typeof value === 'string' ? value : String(value));

function numeric(field: NumericField, raw: unknown, errors: FieldErrors): number {
  const spec = NUMERIC_FIELDS[field];
  if (raw === undefined || raw === null || raw === '') return spec.default;
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*[-+]?\d+(\.\d+)?\s*$/.test(raw) ? Number(raw) : NaN;
  const add = (message: string) => (errors[field] ??= []).push(message);
  if (!Number.isFinite(value)) add('is not a number');
  else if (spec.minInclusive ? value < spec.min : value <= spec.min) add(`must be greater than${spec.minInclusive ? ' or equal to' : ''} ${spec.min}`);
  else if (value > spec.max) add(`must be less than or equal to ${spec.maxText}`);
  return spec.integer ? Math.trunc(value) : value;
}

/** Explicit limits above the tenant's ceiling are refused in Judge0's words; defaults are lowered to it. */
function ourLimits(values: Record<NumericField, number>, given: Set<NumericField>, tenant: Tenant, errors: FieldErrors): NonNullable<RunRequest['limits']> {
  const limits: Partial<Record<LimitName, number>> = {};
  for (const [field, mapping] of Object.entries(LIMIT_OF_FIELD) as [NumericField, NonNullable<(typeof LIMIT_OF_FIELD)[NumericField]>][]) {
    const ceiling = tenant.limits[ceilingName(mapping.limit)];
    const ours = withinOurs(mapping.limit, mapping.toOurs(values[field]));
    if (given.has(field) && ours > ceiling && !errors[field]) {
      (errors[field] ??= []).push(`must be less than or equal to ${mapping.toJudge0(ceiling)}`);
    }
    limits[mapping.limit] = Math.min(ours, ceiling);
  }
  // Judge0's file-size rlimit also caps the output files; ours caps output apart.
  limits.outputBytes = Math.min(withinOurs('outputBytes', values.max_file_size * 1024), tenant.limits.maxOutputBytes);
  // isolate stops a program cpu_extra_time after cpu_time_limit (the view still calls it a time-limit exceeded).
  limits.cpuTimeMs = Math.min(withinOurs('cpuTimeMs', Math.round((values.cpu_time_limit + values.cpu_extra_time) * 1000)), tenant.limits.maxCpuTimeMs);
  return { ...limits, stackKb: Math.min(STACK_KB_BOUNDS.max, Math.max(STACK_KB_BOUNDS.min, values.stack_limit)) };
}

/** The zip's files beside the source, within what a job may carry; a refusal is a 422 with the reason. */
function additionalFiles(raw: unknown, source: string, language: LanguageId, errors: FieldErrors): UnpackedFile[] {
  if (blank(raw)) return [];
  if (typeof raw !== 'string') {
    (errors.additional_files ??= []).push('must be a Base64 encoded zip archive');
    return [];
  }
  try {
    return unpackAdditionalFiles(raw, { bytes: Math.max(0, MAX_TOTAL_FILES_BYTES - Buffer.byteLength(source)), files: MAX_FILES }, LANGUAGES[language].sourceFile);
  } catch (error) {
    if (!(error instanceof ZipRefused)) throw error;
    (errors.additional_files ??= []).push(error.message);
    return [];
  }
}

export function parseSubmission(body: unknown, base64Encoded: boolean, tenant: Tenant): ParsedSubmission {
  const input = (typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
  const errors: FieldErrors = {};
  const add = (field: string, message: string) => (errors[field] ??= []).push(message);
  const decoded = (field: string) => {
    const value = text(input[field]);
    return value !== undefined && base64Encoded ? decode64(value) : value;
  };

  const source = decoded('source_code');
  if (blank(source)) add('source_code', "can't be blank");

  const values = Object.fromEntries(Object.keys(NUMERIC_FIELDS).map((f) => [f, numeric(f as NumericField, input[f], errors)])) as Record<NumericField, number>;
  const given = new Set((Object.keys(NUMERIC_FIELDS) as NumericField[]).filter((f) => !blank(input[f])));

  for (const field of ['compiler_options', 'command_line_arguments'] as const) {
    if ((text(input[field])?.length ?? 0) > 512) add(field, 'is too long (maximum is 512 characters)');
  }
  const flag = (field: string) => railsBoolean(input[field]) ?? false;
  const settingsFlags = {
    enable_per_process_and_thread_time_limit: flag('enable_per_process_and_thread_time_limit'),
    enable_per_process_and_thread_memory_limit: flag('enable_per_process_and_thread_memory_limit'),
    redirect_stderr_to_stdout: flag('redirect_stderr_to_stdout'),
    enable_network: flag('enable_network'),
  };
  // Our sandbox limits the whole job, never one process or thread.
  if (settingsFlags.enable_per_process_and_thread_time_limit) add('enable_per_process_and_thread_time_limit', 'this option cannot be enabled');
  if (settingsFlags.enable_per_process_and_thread_memory_limit) add('enable_per_process_and_thread_memory_limit', 'this option cannot be enabled');

  const rawLanguage = input.language_id;
  const languageId = typeof rawLanguage === 'number' ? rawLanguage : typeof rawLanguage === 'string' && /^\s*\d+\s*$/.test(rawLanguage) ? Number(rawLanguage) : undefined;
  const language = languageId !== undefined ? judge0LanguageById(languageId) : undefined;
  if (blank(rawLanguage)) add('language_id', "can't be blank");
  else if (!language) add('language_id', `language with id ${String(rawLanguage)} doesn't exist`);

  // Judge0's own messages for features its administrators can turn off; here they are off.
  const callbackUrl = text(input.callback_url);
  const callbackProblem = blank(callbackUrl) ? undefined : callbackUrlProblem(callbackUrl!);
  if (callbackProblem) add('callback_url', callbackProblem);
  // Jobs never have a network; the sandbox has nothing to share.
  if (settingsFlags.enable_network) add('enable_network', 'enabling network is not allowed');

  const files = language && source !== undefined ? additionalFiles(input.additional_files, source, language.language, errors) : [];
  const limits = ourLimits(values, given, tenant, errors);
  // Each run carries the input again (our tests): their total has our tests' cap.
  const perRun = Buffer.byteLength(decoded('stdin') ?? '') + Buffer.byteLength(decoded('expected_output') ?? '');
  if (values.number_of_runs > 1 && perRun * values.number_of_runs > MAX_TESTS_BYTES && !errors.number_of_runs) {
    add('number_of_runs', `must be less than or equal to ${Math.max(1, Math.floor(MAX_TESTS_BYTES / perRun))} with this stdin and expected_output`);
  }
  if (Object.keys(errors).length > 0 || !language || source === undefined) return { ok: false, errors };

  const commandLine = text(input.command_line_arguments) ?? null;
  const compilerLine = text(input.compiler_options) ?? null;
  // Judge0 puts compiler_options into the compile command (cleaned like the arguments); a language without one ignores them.
  const compilerOptions = LANGUAGES[language.language].compile ? commandLineArguments(compilerLine ?? '') : [];
  const stdin = decoded('stdin') ?? '';
  const expectedOutput = decoded('expected_output');
  const once = { stdin, ...(expectedOutput !== undefined ? { expectedOutput } : {}) };
  return {
    ok: true,
    run: {
      language: language.language,
      source,
      args: commandLineArguments(commandLine ?? ''),
      // More than one run: the same input as that many tests (one compile); the view averages them.
      ...(values.number_of_runs > 1 ? { stdin: '', tests: Array.from({ length: values.number_of_runs }, () => once) } : once),
      ...(compilerOptions.length > 0 ? { compilerOptions } : {}),
      ...(files.length > 0 ? { files } : {}),
      ...(!blank(callbackUrl) ? { callbackUrl: callbackUrl! } : {}),
      limits,
    },
    settings: { language_id: language.id, ...values, ...settingsFlags, command_line_arguments: commandLine, compiler_options: compilerLine, callback_url: callbackUrl ?? null },
  };
}
