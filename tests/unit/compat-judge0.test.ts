/**
 * Judge0 CE 1.13.1 mappings as pure functions: a submission → our job body,
 * our result → Judge0's submission, statuses, fields and Base64.
 */
import { describe, expect, it } from 'vitest';
import type { JobResult } from '../../core/contract.ts';
import { DEFAULT_LIMITS } from '../../core/limits.ts';
import { DEFAULT_TENANT_LIMITS, tenantLimitsSchema } from '../../core/tenants.ts';
import { commandLineArguments } from '../../functions/compat/judge0/arguments.ts';
import { decode64, encode64 } from '../../functions/compat/judge0/base64.ts';
import { fromApiError } from '../../functions/compat/judge0/errors.ts';
import { DEFAULT_FIELDS, requestedFields } from '../../functions/compat/judge0/fields.ts';
import { parseSubmission } from '../../functions/compat/judge0/request.ts';
import { JUDGE0_STATUSES, jobStatus, resultStatus } from '../../functions/compat/judge0/statuses.ts';
import { decimal, submissionView, type SubmissionJob } from '../../functions/compat/judge0/submission-view.ts';
import { badRequest, payloadTooLarge, tooManyRequests, unauthorized } from '../../core/errors.ts';

const tenant = { tenantId: 'acme', limits: DEFAULT_TENANT_LIMITS };
const ok: JobResult = { verdict: 'ok', stdout: 'hello, Judge0\n', stderr: '', exitCode: 0, signal: null, timeMs: 12, cpuTimeMs: 1, memoryKb: 380, truncated: false };
const job = (result?: JobResult, status: SubmissionJob['status'] = 'completed'): SubmissionJob => ({
  jobId: 'eb0dd001-66db-47f4-8a69-b736c9bc23f6', status, language: 'c', limits: DEFAULT_LIMITS, createdAt: '2024-01-01T00:00:00.000Z',
  ...(result ? { result, finishedAt: '2024-01-01T00:00:01.000Z' } : {}),
});

describe('a Judge0 submission as our job', () => {
  it('maps the documented C example with Judge0 defaults onto our limits', () => {
    const parsed = parseSubmission({ source_code: '#include <stdio.h>\nint main(){}', language_id: '50', stdin: 'Judge0', expected_output: 'hello, Judge0' }, false, tenant);

    expect(parsed).toMatchObject({
      ok: true,
      // cpuTimeMs: cpu_time_limit + cpu_extra_time, where isolate stops the program; stackKb: stack_limit.
      run: { language: 'c', stdin: 'Judge0', expectedOutput: 'hello, Judge0', args: [], limits: { cpuTimeMs: 6000, wallTimeMs: 10_000, memoryMb: 125, processes: 60, fileSizeBytes: 1024 * 1024, outputBytes: 1024 * 1024, stackKb: 64_000 } },
      settings: { language_id: 50, cpu_time_limit: 5, cpu_extra_time: 1, wall_time_limit: 10, memory_limit: 128_000, number_of_runs: 1, redirect_stderr_to_stdout: false },
    });
  });

  it('answers a missing language and source in Judge0 words', () => {
    expect(parseSubmission({}, false, tenant)).toEqual({ ok: false, errors: { source_code: ["can't be blank"], language_id: ["can't be blank"] } });
  });

  it('refuses a language id Judge0 CE has but we do not run', () => {
    expect(parseSubmission({ source_code: 'x', language_id: 150000 }, false, tenant)).toEqual({ ok: false, errors: { language_id: ["language with id 150000 doesn't exist"] } });
  });

  it('refuses limits above Judge0 maximums with Rails numericality messages', () => {
    const parsed = parseSubmission({ source_code: 'x', language_id: 71, wall_time_limit: 100000, memory_limit: 1024, cpu_time_limit: 'abc' }, false, tenant);
    expect(parsed).toEqual({ ok: false, errors: {
      wall_time_limit: ['must be less than or equal to 20.0'],
      memory_limit: ['must be greater than or equal to 2048'],
      cpu_time_limit: ['is not a number'],
    } });
  });

  it('refuses network, and a callback_url to a private address, with the reason', () => {
    const parsed = parseSubmission({ source_code: 'x', language_id: 54, enable_network: true, callback_url: 'http://169.254.169.254/latest' }, false, tenant);
    expect(parsed).toEqual({ ok: false, errors: {
      enable_network: ['enabling network is not allowed'],
      callback_url: ['must not point at a link-local address (cloud metadata lives there)'],
    } });
  });

  it('carries a public callback_url to the job and keeps it for the view', () => {
    const parsed = parseSubmission({ source_code: 'x', language_id: 71, callback_url: 'https://hooks.example.com/j0' }, false, tenant);
    expect(parsed).toMatchObject({ ok: true, run: { callbackUrl: 'https://hooks.example.com/j0' }, settings: { callback_url: 'https://hooks.example.com/j0' } });
  });

  it('appends compiler_options to the compile command, cleaned and split like the arguments, and keeps them as given', () => {
    const parsed = parseSubmission({ source_code: 'x', language_id: 54, compiler_options: '-O0 -DNAME="a b"; rm -rf $HOME' }, false, tenant);
    expect(parsed).toMatchObject({ ok: true, run: { compilerOptions: ['-O0', '-DNAME=a b', 'rm', '-rf', 'HOME'] }, settings: { compiler_options: '-O0 -DNAME="a b"; rm -rf $HOME' } });
  });

  it('ignores compiler_options for a language without a compile stage, as Judge0 does', () => {
    const parsed = parseSubmission({ source_code: 'x', language_id: 71, compiler_options: '-O3' }, false, tenant);
    expect(parsed.ok && parsed.run.compilerOptions).toBeUndefined();
  });

  it('runs number_of_runs > 1 as that many tests of the same input, compiled once', () => {
    const parsed = parseSubmission({ source_code: 'x', language_id: 50, stdin: 'in', expected_output: 'out', number_of_runs: 3 }, false, tenant);
    expect(parsed).toMatchObject({ ok: true, run: { stdin: '', tests: [{ stdin: 'in', expectedOutput: 'out' }, { stdin: 'in', expectedOutput: 'out' }, { stdin: 'in', expectedOutput: 'out' }] } });
    expect(parsed.ok && 'expectedOutput' in parsed.run).toBe(false);
  });

  it('raises a stack_limit below our minimum to it', () => {
    expect(parseSubmission({ source_code: 'x', language_id: 71, stack_limit: 0 }, false, tenant)).toMatchObject({ ok: true, run: { limits: { stackKb: 256 } } });
  });

  it('refuses an explicit limit above the tenant ceiling, in Judge0 units, and lowers defaults to it', () => {
    const small = { tenantId: 's', limits: tenantLimitsSchema.parse({ ratePerSecond: 1, burst: 1, maxConcurrentJobs: 1, maxWallTimeMs: 4000 }) };
    expect(parseSubmission({ source_code: 'x', language_id: 71, wall_time_limit: 5 }, false, small)).toEqual({ ok: false, errors: { wall_time_limit: ['must be less than or equal to 4'] } });
    expect(parseSubmission({ source_code: 'x', language_id: 71 }, false, small)).toMatchObject({ ok: true, run: { limits: { wallTimeMs: 4000 } } });
  });

  it('decodes Base64 source, stdin and expected output when base64_encoded=true', () => {
    const parsed = parseSubmission({ source_code: 'cHJpbnQoaW5wdXQoKSk=', language_id: 71, stdin: 'SnVkZ2Uw' }, true, tenant);
    expect(parsed).toMatchObject({ ok: true, run: { source: 'print(input())', stdin: 'Judge0' } });
  });

  it('splits command_line_arguments as bash would, without its metacharacters', () => {
    expect(commandLineArguments(`a "b c" 'd e' f\\ g; rm -rf $HOME`)).toEqual(['a', 'b c', 'd e', 'f g', 'rm', '-rf', 'HOME']);
  });
});

describe('our result as a Judge0 submission', () => {
  const view = (j: SubmissionJob, extra: Partial<Parameters<typeof submissionView>[1]> = {}) => submissionView(j, { fields: DEFAULT_FIELDS, base64: false, versions: {}, ...extra });

  it('renders the default eight fields as in the documented answer', () => {
    expect(view(job(ok))).toEqual({
      token: 'eb0dd001-66db-47f4-8a69-b736c9bc23f6', time: '0.001', memory: 380, stdout: 'hello, Judge0\n', stderr: null, compile_output: null, message: null, status: { id: 3, description: 'Accepted' },
    });
  });

  it('encodes text fields as Ruby encode64 does, with a newline every 60 characters', () => {
    expect(view(job(ok), { base64: true }).stdout).toBe('aGVsbG8sIEp1ZGdlMAo=\n');
    expect(encode64('x'.repeat(50))).toBe(`${'eHh4'.repeat(15)}\neHh4eHg=\n`);
    expect(decode64(encode64('ünïcode\n'.repeat(20)))).toBe('ünïcode\n'.repeat(20));
  });

  it('shows a queued job as In Queue with no output', () => {
    expect(view(job(undefined, 'queued'))).toMatchObject({ status: { id: 1, description: 'In Queue' }, stdout: null, time: null });
  });

  it('reports exit code 0 and the signal number for a signal, like isolate', () => {
    const segv = submissionView(job({ ...ok, verdict: 'runtime_error', exitCode: null, signal: 'SIGSEGV', stdout: '' }), { fields: ['exit_code', 'exit_signal', 'message', 'status', 'stdout'], base64: false, versions: {} });
    expect(segv).toEqual({ exit_code: 0, exit_signal: 11, message: 'Caught fatal signal 11', status: { id: 7, description: 'Runtime Error (SIGSEGV)' }, stdout: null });
  });

  it('merges stderr into stdout when redirect_stderr_to_stdout was set', () => {
    const parsed = parseSubmission({ source_code: 'x', language_id: 71, redirect_stderr_to_stdout: 'true' }, false, tenant);
    if (!parsed.ok) throw new Error('expected a valid submission');
    expect(view(job({ ...ok, stdout: 'out\n', stderr: 'err\n' }), { settings: parsed.settings })).toMatchObject({ stdout: 'out\nerr\n', stderr: null });
  });

  it('gives a compile error its compiler output and no run fields', () => {
    const ce: JobResult = { ...ok, verdict: 'compile_error', stdout: '', exitCode: null, compile: { ...ok, stdout: '', stderr: 'main.c:1: error\n', exitCode: 1 } };
    expect(view(job(ce))).toMatchObject({ compile_output: 'main.c:1: error\n', time: null, memory: null, stdout: null, status: { id: 6 } });
  });

  it('renders decimals as Rails does', () => {
    expect([decimal(0.001), decimal(1), decimal(1.5), decimal(null)]).toEqual(['0.001', '1.0', '1.5', null]);
  });
});

describe('Judge0 statuses', () => {
  it('lists the 14 statuses', () => {
    expect(JUDGE0_STATUSES.map((s) => s.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
  });

  it.each([
    [{ verdict: 'wrong_answer' }, 4], [{ verdict: 'time_limit_exceeded', signal: 'SIGKILL' }, 5], [{ verdict: 'compile_error' }, 6],
    [{ verdict: 'runtime_error', signal: 'SIGSEGV' }, 7], [{ verdict: 'output_limit_exceeded' }, 8], [{ verdict: 'runtime_error', signal: 'SIGFPE' }, 9],
    [{ verdict: 'runtime_error', signal: 'SIGABRT' }, 10], [{ verdict: 'runtime_error', exitCode: 1 }, 11], [{ verdict: 'runtime_error', signal: 'SIGKILL' }, 12],
    [{ verdict: 'memory_limit_exceeded', signal: 'SIGKILL' }, 12], [{ verdict: 'internal_error' }, 13],
  ] as const)('maps %o to status %i', (fields, id) => {
    expect(resultStatus({ ...ok, ...fields } as JobResult).id).toBe(id);
  });

  it('maps a job our infrastructure failed to Internal Error, and a running one to Processing', () => {
    expect(jobStatus({ status: 'failed' }).id).toBe(13);
    expect(jobStatus({ status: 'running' }).id).toBe(2);
  });
});

describe('Judge0 fields and errors', () => {
  it('defaults, expands * and lists unknown fields', () => {
    expect(requestedFields(undefined)).toEqual({ ok: true, fields: DEFAULT_FIELDS });
    expect(requestedFields('*')).toMatchObject({ ok: true, fields: expect.arrayContaining(['source_code', 'language', 'wall_time']) });
    expect(requestedFields('stdout,bogus,status_id,nope')).toEqual({ ok: false, invalid: ['bogus', 'nope'] });
  });

  it('renames our field errors to Judge0 fields in a 422 hash', () => {
    expect(fromApiError(badRequest('x', [{ field: 'limits.memoryMb', reason: 'above' }])).body).toEqual({ memory_limit: ['above'] });
    expect(fromApiError(payloadTooLarge('source', 262144))).toMatchObject({ statusCode: 422, body: { source_code: ['is too long (maximum is 262144 bytes)'] } });
  });

  it('answers 401 with no body and 429 as {"error"} with Retry-After', () => {
    expect(fromApiError(unauthorized())).toMatchObject({ statusCode: 401, body: undefined });
    expect(fromApiError(tooManyRequests('slow down', { 'Retry-After': '1' }))).toMatchObject({ statusCode: 429, body: { error: 'slow down' }, headers: { 'Retry-After': '1' } });
  });
});

describe('number_of_runs and cpu_extra_time in the Judge0 view', () => {
  const settingsOf = (body: object) => {
    const parsed = parseSubmission({ source_code: 'x', language_id: 50, ...body }, false, tenant);
    if (!parsed.ok) throw new Error('expected a valid submission');
    return parsed.settings;
  };
  const run = (index: number, verdict: NonNullable<JobResult['tests']>[number]['verdict'], timeMs: number, cpuTimeMs: number, memoryKb: number) =>
    ({ index, verdict, stdout: 'x\n', stderr: '', exitCode: 0, signal: null, timeMs, cpuTimeMs, memoryKb, truncated: false });
  const view = (result: JobResult, settings = settingsOf({ number_of_runs: 3 })) =>
    submissionView(job(result), { fields: ['status', 'time', 'wall_time', 'memory', 'stdin'], base64: false, versions: {}, settings, input: { language: 'c', source: 'x', stdin: '', args: [], files: [], tests: [{ stdin: 'in' }, { stdin: 'in' }, { stdin: 'in' }] } });

  it('reports the average time and memory of the runs, and the one stdin', () => {
    const result: JobResult = { ...ok, timeMs: 30, cpuTimeMs: 30, memoryKb: 900, tests: [run(0, 'ok', 10, 10, 300), run(1, 'ok', 20, 20, 600), run(2, 'ok', 30, 30, 900)] };
    expect(view(result)).toEqual({ status: { id: 3, description: 'Accepted' }, time: '0.02', wall_time: '0.02', memory: 600, stdin: 'in' });
  });

  it('averages the runs up to the first failing one, where Judge0 stops', () => {
    const result: JobResult = { ...ok, verdict: 'wrong_answer', failedTest: 1, tests: [run(0, 'ok', 10, 10, 300), run(1, 'wrong_answer', 30, 30, 500), run(2, 'ok', 90, 90, 900)] };
    expect(view(result)).toMatchObject({ status: { id: 4 }, time: '0.02', memory: 400 });
  });

  it('does not count runs that our total test time budget skipped against the program', () => {
    const result: JobResult = { ...ok, verdict: 'time_limit_exceeded', failedTest: 2, tests: [run(0, 'ok', 10, 10, 300), run(1, 'ok', 30, 30, 500), { ...run(2, 'skipped', 0, 0, 0) }] };
    expect(view(result)).toMatchObject({ status: { id: 3 }, time: '0.02', memory: 400 });
  });

  it('calls a run over cpu_time_limit but within cpu_extra_time a Time Limit Exceeded, as isolate does', () => {
    const settings = settingsOf({ cpu_time_limit: 1, cpu_extra_time: 0.5 });
    const within = submissionView(job({ ...ok, cpuTimeMs: 900 }), { fields: ['status'], base64: false, versions: {}, settings });
    const over = submissionView(job({ ...ok, cpuTimeMs: 1300 }), { fields: ['status', 'message', 'time'], base64: false, versions: {}, settings });

    expect(within).toEqual({ status: { id: 3, description: 'Accepted' } });
    expect(over).toEqual({ status: { id: 5, description: 'Time Limit Exceeded' }, message: 'Time limit exceeded', time: '1.3' });
  });
});

describe('number_of_runs with a large input', () => {
  it('refuses more runs than our tests cap can carry, saying how many fit', () => {
    const stdin = 'x'.repeat(512 * 1024);
    expect(parseSubmission({ source_code: 'x', language_id: 71, stdin, number_of_runs: 5 }, false, tenant)).toEqual({ ok: false, errors: { number_of_runs: ['must be less than or equal to 4 with this stdin and expected_output'] } });
  });
});
