/**
 * The languages the sandbox image can run, and how. This is the single place
 * that knows file names and commands; the API validates against `LANGUAGE_IDS`
 * and the worker builds its stages from here.
 */
export const LANGUAGE_IDS = ['python', 'javascript', 'typescript', 'c', 'cpp', 'bash'] as const;
export type LanguageId = (typeof LANGUAGE_IDS)[number];

/**
 * Where the sandbox finds esbuild's static binary: bind-mounted read-only from
 * the worker (worker/sandbox-host/container-spec.ts), so the compiler is the
 * worker's own esbuild, of the host's architecture, whatever the image.
 */
export const ESBUILD_IN_SANDBOX = '/opt/runplane/bin/esbuild';

export interface LanguageSpec {
  id: LanguageId;
  name: string;
  /** File the main program is written to inside the sandbox work dir. */
  sourceFile: string;
  /**
   * Compile step, if the language has one, given the files to compile.
   * Runs with the compile limits; its output is reported apart.
   */
  compile?: (sources: string[]) => string[];
  /** Which of the job's files the compiler takes. */
  compiles?: RegExp;
  /** Command that runs the program, given the entry file (args are appended). */
  run: (entry: string) => string[];
  /** Prints the runtime's version inside the sandbox (first line is used). */
  version: string[];
}

export const LANGUAGES: Record<LanguageId, LanguageSpec> = {
  python: {
    id: 'python',
    name: 'Python 3',
    sourceFile: 'main.py',
    run: (entry) => ['python3', '-u', entry],
    version: ['python3', '--version'],
  },
  javascript: {
    id: 'javascript',
    name: 'JavaScript (Node.js)',
    sourceFile: 'main.js',
    run: (entry) => ['node', entry],
    version: ['node', '--version'],
  },
  typescript: {
    id: 'typescript',
    name: 'TypeScript (types stripped, run on Node.js)',
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
    sourceFile: 'main.c',
    compiles: /\.c$/,
    compile: (sources) => ['gcc', '-std=c17', '-O2', '-pipe', '-o', 'main', ...sources, '-lm'],
    run: () => ['./main'],
    version: ['gcc', '--version'],
  },
  cpp: {
    id: 'cpp',
    name: 'C++17 (g++)',
    sourceFile: 'main.cpp',
    compiles: /\.(cpp|cc|cxx)$/,
    compile: (sources) => ['g++', '-std=c++17', '-O2', '-pipe', '-o', 'main', ...sources],
    run: () => ['./main'],
    version: ['g++', '--version'],
  },
  bash: {
    id: 'bash',
    name: 'Bash',
    sourceFile: 'main.sh',
    run: (entry) => ['bash', entry],
    version: ['bash', '--version'],
  },
};

export function isLanguageId(value: string): value is LanguageId {
  return (LANGUAGE_IDS as readonly string[]).includes(value);
}
