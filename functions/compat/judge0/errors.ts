/**
 * Judge0's error formats: 422 `{field: [message]}` for a bad submission,
 * `{"error": message}` for everything else, 401 with no body. Our use cases
 * throw ApiError with our field names; they are renamed to Judge0's here.
 */
import { ApiError } from '../../../core/errors.ts';
import { CompatError } from '../shared/http.ts';
import { LIMIT_OF_FIELD } from './config.ts';
import type { FieldErrors } from './request.ts';

const FIELD_NAMES: Record<string, string> = {
  source: 'source_code',
  stdin: 'stdin',
  expectedOutput: 'expected_output',
  args: 'command_line_arguments',
  language: 'language_id',
  'limits.outputBytes': 'max_file_size',
  'limits.stackKb': 'stack_limit',
  compilerOptions: 'compiler_options',
  tests: 'number_of_runs',
  ...Object.fromEntries(Object.entries(LIMIT_OF_FIELD).map(([field, mapping]) => [`limits.${mapping.limit}`, field])),
};

const judge0Field = (ours: string) => FIELD_NAMES[ours] ?? FIELD_NAMES[ours.split('.')[0]!] ?? ours;

export const judge0Error = (statusCode: number, error: string, headers: Record<string, string> = {}) => new CompatError(statusCode, { error }, headers);
export const invalidSubmission = (errors: FieldErrors) => new CompatError(422, errors);
export const unauthenticated = () => new CompatError(401, undefined);
/** Rails' own answer for a record or route that does not exist. */
export const judge0NotFound = () => new CompatError(404, { error: 'Not Found', status: 404 });

/** The Judge0 form of an error thrown by our use cases, as a 422 hash or an `{"error"}`. */
export function fromApiError(error: ApiError): CompatError {
  if (error.statusCode === 401) return unauthenticated();
  if (error.statusCode === 404) return judge0NotFound();
  if ((error.statusCode === 400 || error.statusCode === 413) && error.fields?.length) {
    const errors: FieldErrors = {};
    for (const problem of error.fields) {
      const reason = error.statusCode === 413 ? `is too long (${problem.reason.replace(/^larger than/, 'maximum is')})` : problem.reason;
      (errors[judge0Field(problem.field)] ??= []).push(reason);
    }
    return invalidSubmission(errors);
  }
  return judge0Error(error.statusCode, error.message, error.headers);
}

export function translateJudge0Error(error: unknown): CompatError | undefined {
  return error instanceof ApiError ? fromApiError(error) : undefined;
}
