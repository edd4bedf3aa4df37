/**
 * One compile, many test cases: `POST /run` with `tests: [{stdin, expectedOutput}]`.
 * The program is compiled once; each test then runs in fresh job namespaces
 * (a fresh work dir holding the compiled program, fresh /tmp, PID and IPC
 * namespaces) and gets its own verdict, time and memory. The job's verdict is
 * the first failing test's. Limits here keep one such job from holding a
 * worker slot, or a result, far beyond a single run's.
 */
import { z } from 'zod';

/** At most this many tests per job. */
export const MAX_TESTS = 100;
/** All tests' `stdin` and `expectedOutput` together, checked before parsing (413 `tests`). */
export const MAX_TESTS_BYTES = 2 * 1024 * 1024;
/**
 * The run time all tests of one job may take together. A test starts only when
 * what is left still holds its whole wall limit, so no test is cut short by
 * the budget; the rest are `skipped`. (The result's schema is in contract.ts.)
 */
export const TESTS_WALL_BUDGET_MS = 60_000;
/**
 * Each test's stdout and stderr are kept in the result up to this size (the
 * verdict is judged on the whole output, up to `limits.outputBytes`): 100 tests
 * at 1 MiB a stream would make a 200 MiB result.
 */
export const TEST_OUTPUT_KEPT_BYTES = 8 * 1024;
/** What the compile stage leaves in the work dir (the compiled program), carried into every test's work dir. */
export const MAX_COMPILED_BYTES = 16 * 1024 * 1024;
export const MAX_COMPILED_FILES = 256;

export const testCaseSchema = z.strictObject({
  stdin: z.string().default(''),
  /** When given, a test that exits 0 with other output gets `wrong_answer` (trailing whitespace ignored). */
  expectedOutput: z.string().optional(),
});
export type TestCase = z.infer<typeof testCaseSchema>;

export const testCasesSchema = z.array(testCaseSchema).min(1, 'must hold at least one test').max(MAX_TESTS, `at most ${MAX_TESTS} tests`);

/** Bytes of all tests' data, for the 413 check and the inline-in-SQS decision. */
export function testsBytes(tests: unknown): number {
  if (!Array.isArray(tests)) return 0;
  return tests.reduce((sum: number, t: unknown) => {
    const { stdin, expectedOutput } = (t ?? {}) as { stdin?: unknown; expectedOutput?: unknown };
    return sum + (typeof stdin === 'string' ? Buffer.byteLength(stdin) : 0) + (typeof expectedOutput === 'string' ? Buffer.byteLength(expectedOutput) : 0);
  }, 0);
}
