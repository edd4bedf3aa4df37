import { describe, expect, it } from 'vitest';
import { runRequestSchema } from '../../core/contract.ts';
import { fieldProblems } from '../../functions/app/validation.ts';

function problems(body: unknown) {
  const parsed = runRequestSchema.safeParse(body);
  if (parsed.success) throw new Error('expected the body to be rejected');
  return fieldProblems(parsed.error);
}

describe('the POST /run body', () => {
  it('accepts the minimal request and defaults stdin to empty', () => {
    const parsed = runRequestSchema.parse({ language: 'python', source: 'print(1)' });
    expect(parsed).toEqual({ language: 'python', source: 'print(1)', stdin: '' });
  });

  it('names a missing field as required', () => {
    expect(problems({ language: 'python' })).toEqual([{ field: 'source', reason: 'is required' }]);
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
    expect(problem?.reason).toContain('python, javascript, cpp');
  });

  it('rejects a limit above its maximum, naming the limit', () => {
    const [problem] = problems({ language: 'python', source: 'x', limits: { wallTimeMs: 10_000_000 } });
    expect(problem?.field).toBe('limits.wallTimeMs');
  });

  it('rejects an empty source', () => {
    expect(problems({ language: 'python', source: '' })).toEqual([{ field: 'source', reason: 'must not be empty' }]);
  });
});
