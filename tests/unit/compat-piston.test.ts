/**
 * Piston v2 mappings as pure functions: an execute request → our job body,
 * our result → Piston's answer, runtimes and their semver selectors.
 */
import { describe, expect, it } from 'vitest';
import type { JobResult } from '../../core/contract.ts';
import { badRequest } from '../../core/errors.ts';
import { DEFAULT_TENANT_LIMITS } from '../../core/tenants.ts';
import { translatePistonError } from '../../functions/compat/piston/errors.ts';
import { parseExecute } from '../../functions/compat/piston/request.ts';
import { executeView } from '../../functions/compat/piston/result-view.ts';
import { PISTON_RUNTIMES, findRuntime, runtimeList, satisfies } from '../../functions/compat/piston/runtimes.ts';

const tenant = { tenantId: 'acme', limits: DEFAULT_TENANT_LIMITS };
const versions = { python: '3.11.2', javascript: '20.19.2', typescript: '20.19.2', c: '12.2.0', cpp: '12.2.0', bash: '5.2.15' };
const ok: JobResult = { verdict: 'ok', stdout: 'hi\n', stderr: '', exitCode: 0, signal: null, timeMs: 30, cpuTimeMs: 20, memoryKb: 9000, truncated: false };
const js = PISTON_RUNTIMES.find((r) => r.language === 'javascript')!;

const errorOf = (body: unknown) => {
  try {
    parseExecute(body, tenant, versions);
  } catch (error) {
    return translatePistonError(error);
  }
  throw new Error('expected the request to be refused');
};

describe('a Piston execute request as our job', () => {
  it('maps the documented example: alias, version, named file, args and limits', () => {
    const parsed = parseExecute({
      language: 'js', version: '20.19.2', files: [{ name: 'my_cool_code.js', content: 'console.log(process.argv)' }], stdin: '', args: ['1', '2', '3'],
      compile_timeout: 10000, run_timeout: 3000, compile_memory_limit: -1, run_memory_limit: -1,
    }, tenant, versions);

    expect(parsed.runtime.language).toBe('javascript');
    expect(parsed.run).toEqual({
      language: 'javascript', entryPoint: 'my_cool_code.js', files: [{ path: 'my_cool_code.js', content: 'console.log(process.argv)' }],
      stdin: '\n', args: ['1', '2', '3'], limits: { wallTimeMs: 3000, compileWallTimeMs: 10_000, cpuTimeMs: 3000, compileCpuTimeMs: 10_000 },
    });
  });

  it('writes an unnamed first file as the program so a C program compiles as C', () => {
    const parsed = parseExecute({ language: 'c', version: '*', files: [{ content: 'int main(){}' }, { name: 'data.txt', content: 'aGk=', encoding: 'base64' }] }, tenant, versions);
    expect(parsed.run).toMatchObject({ language: 'c', source: 'int main(){}', files: [{ path: 'data.txt', content: 'hi' }] });
    expect(parsed.fileIndex).toEqual([1]);
  });

  it('turns memory limits in bytes into megabytes', () => {
    expect(parseExecute({ language: 'python', version: '3.x', files: [{ content: '' }], run_memory_limit: 100_000_000 }, tenant, versions).run.limits).toMatchObject({ memoryMb: 96 });
  });

  it.each([
    [{}, 'language is required as a string'],
    [{ language: 'python' }, 'version is required as a string'],
    [{ language: 'python', version: '*' }, 'files is required as an array'],
    [{ language: 'python', version: '*', files: [{ name: 'a' }] }, 'files[0].content is required as a string'],
    [{ language: 'cobol', version: '*', files: [{ content: '' }] }, 'cobol-* runtime is unknown'],
    [{ language: 'python', version: '2.7.18', files: [{ content: '' }] }, 'python-2.7.18 runtime is unknown'],
    [{ language: 'python', version: '*', files: [{ content: 'aGk=', encoding: 'base64' }] }, 'files must include at least one utf8 encoded file'],
    [{ language: 'python', version: '*', files: [{ content: '' }], run_timeout: '5' }, 'If specified, run_timeout must be a number'],
    [{ language: 'python', version: '*', files: [{ content: '' }], run_timeout: 60_000 }, 'run_timeout cannot exceed the configured limit of 20000'],
    [{ language: 'python', version: '*', files: [{ content: '' }], run_cpu_time: -5 }, 'run_cpu_time must be non-negative'],
  ])('refuses %o with 400 "%s"', (body, message) => {
    expect(errorOf(body)).toMatchObject({ statusCode: 400, body: { message } });
  });

  it('names our field errors by the request index of the file', () => {
    expect(translatePistonError(badRequest('x', [{ field: 'files.0.path', reason: 'must be a relative path' }]), [2])).toMatchObject({ statusCode: 400, body: { message: 'files[2].name: must be a relative path' } });
  });
});

describe('our result as Piston answer', () => {
  it('renders a successful run with output, code and null status', () => {
    expect(executeView(js, '20.19.2', ok)).toEqual({
      language: 'javascript', version: '20.19.2',
      run: { stdout: 'hi\n', stderr: '', output: 'hi\n', code: 0, signal: null, message: null, status: null, cpu_time: 20, wall_time: 30, memory: 9000 * 1024 },
    });
  });

  it('reports a time limit as TO with SIGKILL, a non-zero exit as RE, a signal as SG', () => {
    expect(executeView(js, 'v', { ...ok, verdict: 'time_limit_exceeded', exitCode: null, signal: 'SIGKILL', message: 'wall time exceeded 3000 ms' }).run).toMatchObject({ status: 'TO', signal: 'SIGKILL', code: null, message: 'Time limit exceeded (wall clock)' });
    expect(executeView(js, 'v', { ...ok, verdict: 'runtime_error', exitCode: 3 }).run).toMatchObject({ status: 'RE', code: 3, message: 'Exited with error status 3' });
    expect(executeView(js, 'v', { ...ok, verdict: 'runtime_error', exitCode: null, signal: 'SIGSEGV' }).run).toMatchObject({ status: 'SG', signal: 'SIGSEGV', message: 'Caught fatal signal 11' });
    expect(executeView(js, 'v', { ...ok, verdict: 'output_limit_exceeded' }).run).toMatchObject({ status: 'OL', signal: 'SIGKILL' });
  });

  it('answers a failed compilation with the compile stage as run too', () => {
    const c = PISTON_RUNTIMES.find((r) => r.language === 'c')!;
    const view = executeView(c, '12.2.0', { ...ok, verdict: 'compile_error', stdout: '', exitCode: null, compile: { ...ok, stdout: '', stderr: 'error: x\n', exitCode: 1 } });
    expect(view.compile).toMatchObject({ stderr: 'error: x\n', code: 1, status: 'RE' });
    expect(view.run).toEqual(view.compile);
  });
});

describe('Piston runtimes', () => {
  it('lists language, version, aliases and runtime', () => {
    expect(runtimeList(versions)).toContainEqual({ language: 'c++', version: '12.2.0', aliases: ['cpp', 'g++'], runtime: 'gcc' });
  });

  it.each([
    ['*', true], ['3.11.2', true], ['3', true], ['3.x', true], ['3.11', true], ['3.11.x', true], ['^3.8.0', true], ['~3.11.0', true],
    ['>=3.8', true], ['<4', true], ['3.10', false], ['3.12.x', false], ['2', false], ['^3.12.0', false], ['>3.11', false], ['banana', false],
  ])('3.11.2 satisfies %s: %s', (selector, expected) => {
    expect(satisfies('3.11.2', selector)).toBe(expected);
  });

  it('finds a runtime by alias', () => {
    expect(findRuntime('py3', '3.11.2', versions)?.ours).toBe('python');
    expect(findRuntime('g++', '*', versions)?.ours).toBe('cpp');
  });
});
