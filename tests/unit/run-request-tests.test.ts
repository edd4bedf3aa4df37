/** `tests` in the POST /run body: what is accepted, and the precise field paths of what is not. */
import { describe, expect, it } from 'vitest';
import { runRequestSchema } from '../../core/contract.ts';
import { ApiError } from '../../core/errors.ts';
import { MAX_TESTS_BYTES } from '../../core/test-cases.ts';
import { checkSizes, inputBytes } from '../../functions/app/request-size.ts';
import { fieldProblems } from '../../functions/app/validation.ts';

function problems(body: object) {
  const parsed = runRequestSchema.safeParse({ language: 'python', source: 'print(input())', ...body });
  if (parsed.success) throw new Error('expected the body to be rejected');
  return fieldProblems(parsed.error);
}

describe('tests in the POST /run body', () => {
  it('accepts tests, defaulting each stdin to empty and leaving expectedOutput optional', () => {
    const parsed = runRequestSchema.parse({ language: 'python', source: 'x', tests: [{ stdin: '1', expectedOutput: '1' }, {}] });
    expect(parsed.tests).toEqual([{ stdin: '1', expectedOutput: '1' }, { stdin: '' }]);
  });

  it('names the field of a bad test by its index', () => {
    expect(problems({ tests: [{ stdin: 'a' }, { stdin: 'b' }, { stdin: 3 }, { stdin: 'd', colour: 'red' }] })).toEqual([
      { field: 'tests.2.stdin', reason: expect.stringMatching(/string/) },
      { field: 'tests.3.colour', reason: 'unknown field' },
    ]);
  });

  it('refuses an empty list and more than 100 tests', () => {
    expect(problems({ tests: [] })).toEqual([{ field: 'tests', reason: 'must hold at least one test' }]);
    expect(problems({ tests: Array.from({ length: 101 }, () => ({ stdin: '' })) })).toEqual([{ field: 'tests', reason: 'at most 100 tests' }]);
  });

  it('refuses stdin and expectedOutput beside tests, naming each', () => {
    expect(problems({ tests: [{ stdin: '1' }], stdin: '2', expectedOutput: '3' })).toEqual([
      { field: 'stdin', reason: 'cannot be combined with tests; give each test its stdin' },
      { field: 'expectedOutput', reason: 'cannot be combined with tests; give each test its expectedOutput' },
    ]);
  });

  it('refuses stream and interactive beside tests', () => {
    expect(problems({ tests: [{ stdin: '1' }], stream: true, interactive: true })).toEqual([
      { field: 'stream', reason: 'cannot be combined with tests' },
      { field: 'interactive', reason: 'cannot be combined with tests' },
    ]);
    expect(runRequestSchema.safeParse({ language: 'python', source: 'print(1)', tests: [{ stdin: '1' }], stream: false }).success).toBe(true);
  });

  it('answers 413 naming tests when all their data is over 2 MiB', () => {
    const half = 'x'.repeat(MAX_TESTS_BYTES / 2);
    const body = { language: 'python', source: 'x', tests: [{ stdin: half }, { stdin: '', expectedOutput: `${half}!` }] };
    let error: unknown;
    try {
      checkSizes(body);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ statusCode: 413, fields: [{ field: 'tests', reason: `larger than ${MAX_TESTS_BYTES} bytes` }] });
  });

  it("counts the tests' data when deciding whether the input rides inline in the queue message", () => {
    const input = { language: 'python' as const, source: 'x', stdin: '', args: [], files: [], tests: [{ stdin: 'abc', expectedOutput: 'de' }] };
    expect(inputBytes(input)).toBe(6);
  });
});
