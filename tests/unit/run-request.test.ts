import { describe, expect, it } from 'vitest';
import { runRequestSchema } from '../../core/contract.ts';
import { LANGUAGE_IDS } from '../../core/languages.ts';
import { fieldProblems } from '../../functions/app/validation.ts';

function problems(body: unknown) {
  const parsed = runRequestSchema.safeParse(body);
  if (parsed.success) throw new Error('expected the body to be rejected');
  return fieldProblems(parsed.error);
}

describe('the POST /run body', () => {
  it('accepts the minimal request and defaults stdin to empty', () => {
    const parsed = runRequestSchema.parse({ language: 'python', source: 'print(1)' });
    expect(parsed).toEqual({ language: 'python', source: 'print(1)', stdin: '', args: [], files: [] });
  });

  it('names a missing field as required', () => {
    expect(problems({ language: 'python' })).toEqual([{ field: 'source', reason: 'is required (or give files and an entryPoint)' }]);
  });

  it('names each unknown field', () => {
    expect(problems({ language: 'python', source: 'x', colour: 'red', size: 1 })).toEqual([
      { field: 'colour', reason: 'unknown field' },
      { field: 'size', reason: 'unknown field' },
    ]);
  });

  it('lists the supported languages when the language is unknown', () => {
    const [problem] = problems({ language: 'cobol', source: 'x' });
    expect(problem?.field).toBe('language');
    expect(problem?.reason).toBe(`unsupported language; supported: ${LANGUAGE_IDS.join(', ')}`);
    expect(problem?.reason).toMatch(/python, javascript, typescript, c, cpp, bash, go, rust, java, /);
  });

  it('rejects a limit above its maximum, naming the limit', () => {
    const [problem] = problems({ language: 'python', source: 'x', limits: { wallTimeMs: 10_000_000 } });
    expect(problem?.field).toBe('limits.wallTimeMs');
  });

  it('accepts files with an entry point instead of a source', () => {
    const parsed = runRequestSchema.parse({ language: 'python', files: [{ path: 'app/main.py', content: 'print(1)' }], entryPoint: 'app/main.py' });
    expect(parsed.entryPoint).toBe('app/main.py');
  });

  it('rejects an entry point that is not one of the files', () => {
    expect(problems({ language: 'python', files: [{ path: 'a.py', content: '' }], entryPoint: 'b.py' })).toEqual([{ field: 'entryPoint', reason: 'must name one of the files' }]);
  });

  it.each(['../etc/passwd', '/abs.py', 'a/../../b.py', './x.py', 'a b.py'])('rejects the file path %j', (path) => {
    const [problem] = problems({ language: 'python', source: 'x', files: [{ path, content: '' }] });
    expect(problem?.field).toBe('files.0.path');
  });

  it.each(['-o', '-E', '--help.c'])('rejects the file path %j, which a compiler would read as an option', (path) => {
    expect(problems({ language: 'c', source: 'x', files: [{ path, content: '' }] })).toEqual([
      { field: 'files.0.path', reason: 'must not start with "-" (it would read as a command-line option)' },
    ]);
  });

  it('rejects an entry point that starts with "-", naming entryPoint', () => {
    const reason = 'must not start with "-" (it would read as a command-line option)';
    expect(problems({ language: 'c', files: [{ path: '-E', content: '' }], entryPoint: '-E' })).toEqual([
      { field: 'files.0.path', reason },
      { field: 'entryPoint', reason },
    ]);
  });

  it('accepts a "-" inside a path, where no tool reads it as an option', () => {
    expect(() => runRequestSchema.parse({ language: 'c', source: 'x', files: [{ path: 'lib/my-util.h', content: '' }] })).not.toThrow();
  });

  it('rejects duplicate file paths', () => {
    const files = [{ path: 'a.py', content: '' }, { path: 'a.py', content: '' }];
    expect(problems({ language: 'python', source: 'x', files })).toEqual([{ field: 'files.1.path', reason: 'duplicate path' }]);
  });

  it('rejects an unknown isolation tier', () => {
    const [problem] = problems({ language: 'python', source: 'x', isolation: 'vm' });
    expect(problem).toEqual({ field: 'isolation', reason: 'must be one of: standard, gvisor' });
  });

  it.each(['wallTimeMs', 'cpuTimeMs', 'memoryMb', 'processes', 'outputBytes', 'fileSizeBytes', 'openFiles', 'compileWallTimeMs', 'compileCpuTimeMs'])(
    'rejects %s above its maximum, naming it',
    (name) => {
      const [problem] = problems({ language: 'python', source: 'x', limits: { [name]: 10 ** 12 } });
      expect(problem?.field).toBe(`limits.${name}`);
    },
  );

  it('rejects an empty source', () => {
    expect(problems({ language: 'python', source: '' })).toEqual([{ field: 'source', reason: 'must not be empty' }]);
  });
});
