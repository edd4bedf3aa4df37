import { describe, expect, it } from 'vitest';
import { runRequestSchema } from '../../core/contract.ts';
import { LANGUAGE_IDS, LANGUAGES, TOOLCHAINS } from '../../core/languages.ts';
import { DEFAULT_LIMITS, MAX_OUTPUT_FILES } from '../../core/limits.ts';
import { goEnv, jvmOptions } from '../../core/memory-models.ts';
import { listLanguages } from '../../functions/app/list-languages.ts';
import { JUDGE0_LANGUAGES, judge0LanguageById } from '../../functions/compat/judge0/languages.ts';
import { PISTON_RUNTIMES, findRuntime } from '../../functions/compat/piston/runtimes.ts';
import { prepareJob } from '../../worker/sandbox-host/prepare-job.ts';
import { judge } from '../../worker/sandbox-host/run-job.ts';
import { toolchainImage } from '../../worker/sandbox-host/toolchain-pools.ts';

describe('the language registry', () => {
  it('has the twenty-two languages of issue 14, with ids exactly as written', () => {
    expect(LANGUAGE_IDS).toEqual(['python', 'javascript', 'typescript', 'c', 'cpp', 'bash', 'go', 'rust', 'java', 'kotlin', 'csharp', 'ruby', 'php', 'perl', 'lua', 'r', 'haskell', 'sql', 'fortran', 'pascal', 'ocaml', 'elixir']);
    for (const id of LANGUAGE_IDS) expect(LANGUAGES[id].id).toBe(id);
  });

  it('gives every alias to one language only, never another language id', () => {
    const aliases = LANGUAGE_IDS.flatMap((id) => LANGUAGES[id].aliases);
    expect(new Set(aliases).size).toBe(aliases.length);
    expect(aliases.filter((a) => (LANGUAGE_IDS as readonly string[]).includes(a))).toEqual([]);
  });

  it('puts only the heavy toolchains in images of their own', () => {
    const byToolchain = Object.fromEntries(TOOLCHAINS.map((t) => [t, LANGUAGE_IDS.filter((id) => LANGUAGES[id].toolchain === t)]));
    expect(byToolchain).toEqual({ jvm: ['java', 'kotlin'], rust: ['rust'], haskell: ['haskell'], ocaml: ['ocaml'] });
    expect(toolchainImage('runplane-sandbox:abc', 'jvm')).toBe('runplane-sandbox:abc-jvm');
  });

  it('lists each language for GET /languages with its aliases and whether it compiles', async () => {
    const listed = await listLanguages({ read: async () => ({ versions: { java: 'openjdk version "21.0.9"' }, image: 'img' }) });
    expect(listed.languages).toHaveLength(22);
    expect(listed.languages.find((l) => l.id === 'java')).toEqual({ id: 'java', name: 'Java (OpenJDK)', version: 'openjdk version "21.0.9"', aliases: ['jdk', 'openjdk'], compiled: true });
    expect(listed.languages.find((l) => l.id === 'sql')).toMatchObject({ version: null, compiled: false, aliases: ['sqlite', 'sqlite3'] });
  });
});

describe('memory models', () => {
  it('sizes the JVM heap and metaspace from the job limit', () => {
    expect(jvmOptions(256)).toEqual(expect.arrayContaining(['-Xmx153m', '-XX:MaxMetaspaceSize=32m', '-XX:+ExitOnOutOfMemoryError']));
    expect(jvmOptions(1024)).toEqual(expect.arrayContaining(['-Xmx614m', '-XX:MaxMetaspaceSize=128m']));
  });

  it("sets Go's GOMAXPROCS and a soft memory limit below the cgroup", () => {
    expect(goEnv(256)).toEqual(['GOMAXPROCS=1', 'GOMEMLIMIT=230MiB']);
  });

  it("puts the job's memory limit into the run command", () => {
    const limits = { ...DEFAULT_LIMITS, memoryMb: 512 };
    const { stages } = prepareJob({ language: 'java', source: 'class A {}', stdin: '', args: ['x'], files: [] }, limits);
    expect(stages.map((s) => s.name)).toEqual(['compile', 'run']);
    expect(stages[1]!.cmd.join(' ')).toContain('-Xmx307m');
    expect(stages[1]!.cmd.at(-1)).toBe('x');
  });
});

describe('runtime settings', () => {
  it('runs Elixir on one BEAM scheduler that sleeps when idle (a spinning one bills the job CPU)', () => {
    const { stages } = prepareJob({ language: 'elixir', source: 'IO.puts(1)', stdin: '', args: [], files: [] }, DEFAULT_LIMITS);
    const run = stages.find((s) => s.name === 'run')!.cmd;
    expect(run.slice(0, 2)).toEqual(['env', 'ELIXIR_ERL_OPTIONS=+S 1:1 +SDcpu 1:1 +SDio 1 +sbwt none +sbwtdcpu none +sbwtdio none']);
    expect(run).toContain('elixir');
  });
});

describe('compiler options', () => {
  const compileOf = (language: 'go' | 'java', compilerOptions: string[]) =>
    prepareJob({ language, source: 'x', stdin: '', args: [], files: [], compilerOptions }, DEFAULT_LIMITS).stages[0]!.cmd;

  it('go before the sources for go build, which wants its flags first', () => {
    expect(compileOf('go', ['-ldflags=-s']).slice(-4)).toEqual(['-o', 'main', '-ldflags=-s', 'main.go']);
  });

  it('go after our command elsewhere', () => {
    expect(compileOf('java', ['-Xlint']).at(-1)).toBe('-Xlint');
  });
});

describe('judging a runtime that ran out of its own heap', () => {
  const run = { timedOut: false, cpuExceeded: false, outputExceeded: false, oomKilled: false, exitCode: 3, signal: null, stdout: '', stderr: '' };

  it("is memory_limit_exceeded when the runtime's out-of-memory message is on either stream", () => {
    const oom = LANGUAGES.java.outOfMemory;
    expect(judge({ ...run, stdout: 'Terminating due to java.lang.OutOfMemoryError: Java heap space\n' }, DEFAULT_LIMITS, undefined, oom).verdict).toBe('memory_limit_exceeded');
    expect(judge({ ...run, stderr: 'Exception in thread "main" java.lang.OutOfMemoryError\n' }, DEFAULT_LIMITS, undefined, oom).verdict).toBe('memory_limit_exceeded');
  });

  it('is a runtime error otherwise, and never for a program that exited 0', () => {
    expect(judge({ ...run, stderr: 'IllegalStateException' }, DEFAULT_LIMITS, undefined, LANGUAGES.java.outOfMemory).verdict).toBe('runtime_error');
    expect(judge({ ...run, exitCode: 0, stdout: 'java.lang.OutOfMemoryError' }, DEFAULT_LIMITS, undefined, LANGUAGES.java.outOfMemory).verdict).toBe('ok');
  });
});

describe('outputs in the POST /run body', () => {
  const body = (outputs: unknown) => runRequestSchema.safeParse({ language: 'python', source: 'x', outputs });

  it('accepts relative globs', () => {
    expect(body(['*.png', 'result.csv', 'out/**/*.txt', 'f[0-9].bin', 'a?.txt']).success).toBe(true);
  });

  it.each(['/etc/*', '../x', 'a/../b', './x', 'a b', '', 'x'.repeat(129)])('rejects %j, naming the field', (glob) => {
    const parsed = body([glob]);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['outputs', 0]);
  });

  it('is refused with tests, naming the field', () => {
    const parsed = runRequestSchema.safeParse({ language: 'python', source: 'x', outputs: ['*.png'], tests: [{ stdin: '1' }] });
    expect(parsed.error?.issues.map((i) => i.path)).toEqual([['outputs']]);
  });

  it('takes at most 16 globs', () => {
    expect(body(Array.from({ length: 17 }, (_, i) => `${i}.txt`)).success).toBe(false);
  });

  it('asks the sandbox for at most 16 files and limits.outputFilesBytes', () => {
    const prepared = prepareJob({ language: 'python', source: 'x', stdin: '', args: [], files: [], outputs: ['*.png'] }, { ...DEFAULT_LIMITS, outputFilesBytes: 4096 });
    expect(prepared.outputs).toEqual({ patterns: ['*.png'], maxFiles: MAX_OUTPUT_FILES, maxBytes: 4096 });
    expect(prepareJob({ language: 'python', source: 'x', stdin: '', args: [], files: [] }, DEFAULT_LIMITS).outputs).toBeUndefined();
  });
});

describe('the compatible APIs know every language', () => {
  it('maps each language to a Judge0 CE 1.13.1 id and a Piston runtime', () => {
    for (const id of LANGUAGE_IDS) {
      expect(JUDGE0_LANGUAGES.filter((l) => l.language === id), id).toHaveLength(1);
      expect(PISTON_RUNTIMES.filter((r) => r.ours === id), id).toHaveLength(1);
    }
    expect(judge0LanguageById(62)?.language).toBe('java');
    expect(judge0LanguageById(82)?.language).toBe('sql');
  });

  it("finds Piston's names and aliases for the new languages, with the image's versions", () => {
    const versions = { java: '21.0.13', sql: '3.46.1', csharp: '6.12.0' };
    expect(findRuntime('java', '21', versions)?.ours).toBe('java');
    expect(findRuntime('sqlite3', '*', versions)?.ours).toBe('sql');
    expect(findRuntime('c#', '6.x', versions)?.ours).toBe('csharp');
    expect(findRuntime('java', '17', versions)).toBeUndefined();
  });
});
