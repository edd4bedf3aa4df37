/**
 * The languages the sandbox images can run, and how. This is the single place
 * that knows file names and commands; the API validates against `LANGUAGE_IDS`
 * and the worker builds its stages from here. The languages added with the
 * Debian trixie images (issue 14) are in languages-native.ts and languages-vm.ts.
 */
import { DEFAULT_LIMITS } from './limits.ts';
import { NATIVE_LANGUAGES } from './languages-native.ts';
import { VM_LANGUAGES } from './languages-vm.ts';

export const LANGUAGE_IDS = [
  'python', 'javascript', 'typescript', 'c', 'cpp', 'bash',
  'go', 'rust', 'java', 'kotlin', 'csharp', 'ruby', 'php', 'perl', 'lua', 'r', 'haskell', 'sql', 'fortran', 'pascal', 'ocaml', 'elixir',
] as const;
export type LanguageId = (typeof LANGUAGE_IDS)[number];

/**
 * Images besides the base one, each the base plus one heavy toolchain
 * (sandbox/toolchains/<name>.txt), named `<base image>-<name>`: see docs/languages.md
 * for why these toolchains live apart (sizes, build times) and how their pools are sized.
 */
export const TOOLCHAINS = ['jvm', 'rust', 'haskell', 'ocaml'] as const;
export type Toolchain = (typeof TOOLCHAINS)[number];

/** What a language's commands may depend on besides the file names. */
export interface RunContext {
  /** The job's memory limit (limits.memoryMb): managed runtimes size their heaps from it (core/memory-models.ts). */
  memoryMb: number;
}
const DEFAULT_CONTEXT: RunContext = { memoryMb: DEFAULT_LIMITS.memoryMb };

/**
 * Where the sandbox finds esbuild's static binary: bind-mounted read-only from
 * the worker (worker/sandbox-host/container-spec.ts), so the compiler is the
 * worker's own esbuild, of the host's architecture, whatever the image.
 */
export const ESBUILD_IN_SANDBOX = '/opt/runplane/bin/esbuild';

export interface LanguageSpec {
  id: LanguageId;
  name: string;
  /** Other names clients use for it (Piston's aliases, file extensions). */
  aliases: string[];
  /** The image with its toolchain; absent: the base image. */
  toolchain?: Toolchain;
  /** File the main program is written to inside the sandbox work dir. */
  sourceFile: string;
  /**
   * Compile step, if the language has one, given the files to compile.
   * Runs with the compile limits; its output is reported apart.
   */
  compile?: (sources: string[], context?: RunContext) => string[];
  /** `compilerOptions` go before the sources that end the compile command, not after (go build). */
  optionsBeforeSources?: boolean;
  /** Which of the job's files the compiler takes. */
  compiles?: RegExp;
  /** Command that runs the program, given the entry file (args are appended). */
  run: (entry: string, context?: RunContext) => string[];
  /** Prints the runtime's version inside the sandbox (first line is used). */
  version: string[];
  /**
   * The runtime's own "out of memory" on stderr (a heap sized from the limit
   * ran out): the judge gives `memory_limit_exceeded` rather than `runtime_error`.
   */
  outOfMemory?: RegExp;
}

/** The context a language's commands get for a job (the default limits when none is given). */
export function runContext(memoryMb: number | undefined): RunContext {
  return memoryMb === undefined ? DEFAULT_CONTEXT : { memoryMb };
}

const FIRST_SIX: Record<'python' | 'javascript' | 'typescript' | 'c' | 'cpp' | 'bash', LanguageSpec> = {
  python: {
    id: 'python',
    name: 'Python 3',
    aliases: ['py', 'python3'],
    sourceFile: 'main.py',
    run: (entry) => ['python3', '-u', entry],
    version: ['python3', '--version'],
  },
  javascript: {
    id: 'javascript',
    name: 'JavaScript (Node.js)',
    aliases: ['js', 'node'],
    sourceFile: 'main.js',
    run: (entry) => ['node', entry],
    version: ['node', '--version'],
  },
  typescript: {
    id: 'typescript',
    name: 'TypeScript (types stripped, run on Node.js)',
    aliases: ['ts'],
    sourceFile: 'main.ts',
    // Types are stripped by esbuild inside the sandbox, like any compiler: a
    // hostile source can then only break its own job, never the worker (issue 11).
    // Each .ts file becomes the .js beside it; types are not checked.
    compiles: /\.ts$/,
    compile: (sources) => [ESBUILD_IN_SANDBOX, ...sources, '--format=cjs', '--platform=node', '--target=node18', '--outdir=.', '--outbase=.', '--log-level=warning', '--color=false'],
    run: (entry) => ['node', entry.replace(/\.ts$/, '.js')],
    version: ['node', '--version'],
  },
  c: {
    id: 'c',
    name: 'C17 (gcc)',
    aliases: ['gcc'],
    sourceFile: 'main.c',
    compiles: /\.c$/,
    compile: (sources) => ['gcc', '-std=c17', '-O2', '-pipe', '-o', 'main', ...sources, '-lm'],
    run: () => ['./main'],
    version: ['gcc', '--version'],
  },
  cpp: {
    id: 'cpp',
    name: 'C++17 (g++)',
    aliases: ['c++', 'g++'],
    sourceFile: 'main.cpp',
    compiles: /\.(cpp|cc|cxx)$/,
    compile: (sources) => ['g++', '-std=c++17', '-O2', '-pipe', '-o', 'main', ...sources],
    run: () => ['./main'],
    version: ['g++', '--version'],
  },
  bash: {
    id: 'bash',
    name: 'Bash',
    aliases: ['sh'],
    sourceFile: 'main.sh',
    run: (entry) => ['bash', entry],
    version: ['bash', '--version'],
  },
};

export const LANGUAGES: Record<LanguageId, LanguageSpec> = { ...FIRST_SIX, ...NATIVE_LANGUAGES, ...VM_LANGUAGES };

export function isLanguageId(value: string): value is LanguageId {
  return (LANGUAGE_IDS as readonly string[]).includes(value);
}
