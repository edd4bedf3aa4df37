/**
 * Turns a job into what the supervisor runs: the files to write into the work
 * dir and the stages (compile, then run) with their limits. Nothing of the
 * job's code is parsed here: compilers (TypeScript's esbuild included) run in
 * the sandbox, where a hostile source can only break its own job.
 */
import type { JobInput, JobLimits } from '../../core/contract.ts';
import { LANGUAGES, runContext } from '../../core/languages.ts';
import { MAX_OUTPUT_FILES } from '../../core/limits.ts';
import type { OutputsRequest, SandboxFile, StageRequest } from './supervisor-session.ts';

export interface PreparedJob {
  files: SandboxFile[];
  stages: StageRequest[];
  /** Files to bring back after the run, when the job asked for any. */
  outputs?: OutputsRequest;
}

export function prepareJob(input: JobInput, limits: JobLimits, nproc = false): PreparedJob {
  const spec = LANGUAGES[input.language];
  const context = runContext(limits.memoryMb);
  const entry = input.entryPoint ?? spec.sourceFile;
  const files: SandboxFile[] = [
    ...(input.source !== undefined ? [{ path: spec.sourceFile, content: Buffer.from(input.source, 'utf8') }] : []),
    ...input.files.map((f) => ({ path: f.path, content: Buffer.from(f.content, 'utf8') })),
  ];

  const common = { outputBytes: limits.outputBytes, fileSizeBytes: limits.fileSizeBytes, openFiles: limits.openFiles, ...(nproc ? { processes: limits.processes } : {}) };
  const stages: StageRequest[] = [];
  if (spec.compile && spec.compiles) {
    // The entry first, then the other sources in the order given.
    const sources = [entry, ...files.map((f) => f.path).filter((p) => p !== entry && spec.compiles!.test(p))];
    stages.push({ name: 'compile', cmd: withCompilerOptions(spec.compile(sources, context), sources.length, input.compilerOptions ?? [], spec.optionsBeforeSources), wallTimeMs: limits.compileWallTimeMs, cpuTimeMs: limits.compileCpuTimeMs, ...common });
  }
  stages.push({
    name: 'run',
    cmd: [...(limits.stackKb ? stackLimited(limits.stackKb) : []), ...spec.run(entry, context), ...input.args],
    stdin: Buffer.from(input.stdin, 'utf8'),
    wallTimeMs: limits.wallTimeMs,
    cpuTimeMs: limits.cpuTimeMs,
    ...common,
  });
  const outputs = input.outputs?.length ? { patterns: input.outputs, maxFiles: MAX_OUTPUT_FILES, maxBytes: limits.outputFilesBytes } : undefined;
  return { files, stages, ...(outputs ? { outputs } : {}) };
}

/**
 * RLIMIT_STACK for the program alone: util-linux's prlimit (in every Debian
 * image) sets it on itself, as the job uid, and execs the program; the exec
 * helper stays as it is compiled into the image.
 */
function stackLimited(stackKb: number): string[] {
  return ['/usr/bin/prlimit', `--stack=${stackKb * 1024}`, '--'];
}

/**
 * The client's compiler options go after ours (a later `-O` wins, `-l` after the sources), or,
 * for a compiler that wants its flags before the files (`go build`), just before the sources
 * that end its command.
 */
function withCompilerOptions(cmd: string[], sourceCount: number, options: string[], beforeSources = false): string[] {
  if (!beforeSources) return [...cmd, ...options];
  const at = cmd.length - sourceCount;
  return [...cmd.slice(0, at), ...options, ...cmd.slice(at)];
}
