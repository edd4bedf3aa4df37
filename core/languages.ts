/**
 * The languages the sandbox image can run, and how. This is the single place
 * that knows file names and commands; the API validates against `LANGUAGE_IDS`
 * and the worker builds its commands from here.
 */
export const LANGUAGE_IDS = ['python', 'javascript', 'cpp'] as const;
export type LanguageId = (typeof LANGUAGE_IDS)[number];

export interface LanguageSpec {
  id: LanguageId;
  name: string;
  /** File the source is written to inside the sandbox work dir. */
  sourceFile: string;
  /** Compile step, if the language has one. Runs with the compile limits. */
  compile?: string[];
  run: string[];
  /** Prints the runtime's version inside the sandbox (first line is used). */
  version: string[];
}

export const LANGUAGES: Record<LanguageId, LanguageSpec> = {
  python: {
    id: 'python',
    name: 'Python 3',
    sourceFile: 'main.py',
    run: ['python3', '-u', 'main.py'],
    version: ['python3', '--version'],
  },
  javascript: {
    id: 'javascript',
    name: 'JavaScript (Node.js)',
    sourceFile: 'main.js',
    run: ['node', 'main.js'],
    version: ['node', '--version'],
  },
  cpp: {
    id: 'cpp',
    name: 'C++17 (g++)',
    sourceFile: 'main.cpp',
    compile: ['g++', '-std=c++17', '-O2', '-pipe', '-o', 'main', 'main.cpp'],
    run: ['./main'],
    version: ['g++', '--version'],
  },
};

export function isLanguageId(value: string): value is LanguageId {
  return (LANGUAGE_IDS as readonly string[]).includes(value);
}
