/**
 * Every language, table-driven, the way the worker runs it, in both tiers:
 * hello with stdin, an exit status, a compile error (compiled languages) and a
 * runtime error. Toolchain languages run from their own images' pools, as in
 * the worker. Measured here: ~35 s for the standard tier, ~65 s for gVisor.
 */
import { describe, expect, it } from 'vitest';
import { LANGUAGE_IDS, LANGUAGES } from '../../core/languages.ts';
import { MAX_LIMITS } from '../../core/limits.ts';
import { PROGRAMS } from '../fixtures/languages/programs.ts';
import { tierSandbox, TIERS } from '../support/sandbox.ts';

// Compilers on JVMs and GHC take seconds, more under gVisor: room for the slowest, not a goal.
const SLOW_TEST_MS = 120_000;
// What these tests check is each language's behaviour, not the time limits: the largest limits a job may
// ask for, so a slow machine does not turn a compile into a time limit (Kotlin under gVisor compiles in
// ~4 s of the default 15 here, and machines of this kind differ 3–4× in speed).
const ROOM = {
  compileWallTimeMs: MAX_LIMITS.compileWallTimeMs,
  compileCpuTimeMs: MAX_LIMITS.compileCpuTimeMs,
  wallTimeMs: MAX_LIMITS.wallTimeMs,
  cpuTimeMs: MAX_LIMITS.cpuTimeMs,
};
const STDIN = 'runplane\n';

describe.each(TIERS)('every language in the $tier tier', (t) => {
  const { tier } = t;
  const { run } = tierSandbox(t, 'langs', { toolchains: true });

  it.each(LANGUAGE_IDS)('%s: reads stdin and says hello', async (language) => {
    const result = await run({ language, source: PROGRAMS[language].hello, stdin: STDIN }, ROOM);
    const expected = language === 'sql' ? 'Hello, runplane\n' : `Hello, ${STDIN}`;
    expect(result, result.stderr || result.compile?.stderr || result.compile?.stdout).toMatchObject({ verdict: 'ok', stdout: expected, exitCode: 0 });
    if (LANGUAGES[language].compile) expect(result.compile?.exitCode).toBe(0);
  }, SLOW_TEST_MS);

  it.each(LANGUAGE_IDS.filter((id) => PROGRAMS[id].exit3))('%s: reports the exit status', async (language) => {
    const result = await run({ language, source: PROGRAMS[language].exit3! }, ROOM);
    expect(result, result.stderr).toMatchObject({ verdict: 'runtime_error', exitCode: 3 });
  }, SLOW_TEST_MS);

  it.each(LANGUAGE_IDS.filter((id) => LANGUAGES[id].compile))('%s: a program that does not compile is a compile error with the compiler\'s message', async (language) => {
    const result = await run({ language, source: PROGRAMS[language].compileError! }, ROOM);
    expect(result.verdict).toBe('compile_error');
    expect(result.compile?.exitCode).not.toBe(0);
    expect(`${result.compile?.stdout}${result.compile?.stderr}`.length).toBeGreaterThan(0);
  }, SLOW_TEST_MS);

  it.each(LANGUAGE_IDS)('%s: a failing program is a runtime error', async (language) => {
    const result = await run({ language, source: PROGRAMS[language].runtimeError }, ROOM);
    expect(result.verdict, result.stderr).toBe('runtime_error');
    expect(result.exitCode === null ? result.signal : result.exitCode).not.toBe(0);
    if (result.exitCode !== null) expect(result.stderr.length).toBeGreaterThan(0);
  }, SLOW_TEST_MS);

  it('passes compiler options to go build before the sources', async () => {
    const result = await run({ language: 'go', source: PROGRAMS.go.hello, stdin: STDIN, compilerOptions: ['-ldflags=-s -w'] }, ROOM);
    expect(result, result.compile?.stderr).toMatchObject({ verdict: 'ok', stdout: `Hello, ${STDIN}` });
  }, SLOW_TEST_MS);

  it('has a program for every language and every compiled language a compile error', () => {
    for (const id of LANGUAGE_IDS) expect(Boolean(PROGRAMS[id].compileError), id).toBe(Boolean(LANGUAGES[id].compile));
  });
});
