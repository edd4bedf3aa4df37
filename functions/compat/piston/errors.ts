/** Piston's one error format, `{"message": …}`, for its own checks and for our use cases' ApiErrors. */
import { ApiError } from '../../../core/errors.ts';
import { CompatError } from '../shared/http.ts';
import { PistonRequestError } from './request.ts';

export const pistonError = (statusCode: number, message: string, headers: Record<string, string> = {}) => new CompatError(statusCode, { message }, headers);

const LIMIT_FIELDS: Record<string, string> = {
  'limits.wallTimeMs': 'run_timeout',
  'limits.cpuTimeMs': 'run_cpu_time',
  'limits.memoryMb': 'run_memory_limit',
  'limits.compileWallTimeMs': 'compile_timeout',
  'limits.compileCpuTimeMs': 'compile_cpu_time',
};

/** Our field names as Piston's: `files.2.path` → `files[3].name` (the request's own index). */
function pistonField(field: string, fileIndex: number[]): string {
  const file = /^files\.(\d+)\.(path|content)$/.exec(field);
  if (file) return `files[${fileIndex[Number(file[1])] ?? file[1]}].${file[2] === 'path' ? 'name' : 'content'}`;
  if (field === 'source' || field === 'entryPoint') return 'files[0]';
  return LIMIT_FIELDS[field] ?? field;
}

export function translatePistonError(error: unknown, fileIndex: number[] = []): CompatError | undefined {
  if (error instanceof PistonRequestError) return pistonError(400, error.message);
  if (!(error instanceof ApiError)) return undefined;
  if (error.statusCode === 401) return pistonError(401, 'missing or invalid API key (x-api-key, Authorization, or the /piston/k/{key} base URL)');
  if (error.fields?.length) {
    const status = error.statusCode === 413 ? 413 : 400;
    return pistonError(status, error.fields.map((p) => `${pistonField(p.field, fileIndex)}: ${p.reason}`).join('; '), error.headers);
  }
  return pistonError(error.statusCode, error.message, error.headers);
}
