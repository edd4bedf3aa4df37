/**
 * Turns a job into what the supervisor runs: the files to write into the work
 * dir and the stages (compile, then run) with their limits. TypeScript is
 * transpiled here with esbuild (types stripped, not checked), so the sandbox
 * needs nothing but Node.js for it; a syntax error is a compile error.
 */
import { transform } from 'esbuild';
import type { JobInput, JobLimits } from '../../core/contract.ts';
import { LANGUAGES } from '../../core/languages.ts';
import type { SandboxFile, StageRequest } from './supervisor-session.ts';

export interface PreparedJob {
  files: SandboxFile[];
  stages: StageRequest[];
}

export class TranspileError extends Error {
  override name = 'TranspileError';
}

async function stripTypes(file: SandboxFile): Promise<SandboxFile> {
  if (!file.path.endsWith('.ts')) return file;
  try {
    const out = await transform(file.content.toString('utf8'), { loader: 'ts', format: 'cjs', target: 'node18', sourcefile: file.path });
    return { path: file.path.replace(/\.ts$/, '.js'), content: Buffer.from(out.code) };
  } catch (error) {
    const errors = (error as { errors?: { text: string; location?: { file: string; line: number; column: number } }[] }).errors ?? [];
    const text = errors.map((e) => (e.location ? `${e.location.file}:${e.location.line}:${e.location.column}: error: ${e.text}` : e.text)).join('\n');
    throw new TranspileError(text || (error as Error).message);
  }
}

export async function prepareJob(input: JobInput, limits: JobLimits, nproc = false): Promise<PreparedJob> {
  const spec = LANGUAGES[input.language];
  const entry = input.entryPoint ?? spec.sourceFile;
  let files: SandboxFile[] = [
    ...(input.source !== undefined ? [{ path: spec.sourceFile, content: Buffer.from(input.source, 'utf8') }] : []),
    ...input.files.map((f) => ({ path: f.path, content: Buffer.from(f.content, 'utf8') })),
  ];
  if (spec.transpiledOnWorker) files = await Promise.all(files.map(stripTypes));

  const common = { outputBytes: limits.outputBytes, fileSizeBytes: limits.fileSizeBytes, openFiles: limits.openFiles, ...(nproc ? { processes: limits.processes } : {}) };
  const stages: StageRequest[] = [];
  if (spec.compile && spec.compiles) {
    // The entry first, then the other sources in the order given.
    const sources = [entry, ...files.map((f) => f.path).filter((p) => p !== entry && spec.compiles!.test(p))];
    stages.push({ name: 'compile', cmd: spec.compile(sources), wallTimeMs: limits.compileWallTimeMs, cpuTimeMs: limits.compileCpuTimeMs, ...common });
  }
  stages.push({
    name: 'run',
    cmd: [...spec.run(entry), ...input.args],
    stdin: Buffer.from(input.stdin, 'utf8'),
    wallTimeMs: limits.wallTimeMs,
    cpuTimeMs: limits.cpuTimeMs,
    ...common,
  });
  return { files, stages };
}
