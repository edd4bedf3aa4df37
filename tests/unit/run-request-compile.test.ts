/** `compilerOptions` and `limits.stackKb` in the POST /run body. */
import { describe, expect, it } from 'vitest';
import { runRequestSchema } from '../../core/contract.ts';
import { fieldProblems } from '../../functions/app/validation.ts';

const problems = (body: object) => {
  const parsed = runRequestSchema.safeParse(body);
  if (parsed.success) throw new Error('expected the body to be rejected');
  return fieldProblems(parsed.error);
};

describe('compilerOptions and limits.stackKb', () => {
  it('accepts compiler options for a compiled language', () => {
    expect(runRequestSchema.parse({ language: 'cpp', source: 'x', compilerOptions: ['-O0'] }).compilerOptions).toEqual(['-O0']);
  });

  it('refuses compiler options for a language without a compile stage, and empty ones', () => {
    expect(problems({ language: 'python', source: 'x', compilerOptions: ['-O'] })).toEqual([{ field: 'compilerOptions', reason: 'python has no compile stage' }]);
    expect(problems({ language: 'c', source: 'x', compilerOptions: ['-O2', ''] })).toEqual([{ field: 'compilerOptions.1', reason: 'must not be empty' }]);
  });

  it('bounds the stack limit, naming limits.stackKb', () => {
    expect(runRequestSchema.parse({ language: 'c', source: 'x', limits: { stackKb: 65536 } }).limits).toEqual({ stackKb: 65536 });
    expect(problems({ language: 'c', source: 'x', limits: { stackKb: 16 } })).toEqual([{ field: 'limits.stackKb', reason: expect.stringMatching(/256/) }]);
  });
});
