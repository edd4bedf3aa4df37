/**
 * Judge0 CE 1.13.1's language ids for the languages we run. Clients hard-code
 * these ids (71 is Python 3 everywhere), so they are Judge0's own; the names
 * follow Judge0's pattern but show the versions our sandbox image really has.
 */
import { LANGUAGES, type LanguageId } from '../../../core/languages.ts';
import type { RuntimeVersions } from '../shared/versions.ts';

export interface Judge0Language {
  id: number;
  language: LanguageId;
  name: (version: string) => string;
}

export const JUDGE0_LANGUAGES: readonly Judge0Language[] = [
  { id: 46, language: 'bash', name: (v) => `Bash (${v})` },
  { id: 50, language: 'c', name: (v) => `C (GCC ${v})` },
  { id: 54, language: 'cpp', name: (v) => `C++ (GCC ${v})` },
  { id: 63, language: 'javascript', name: (v) => `JavaScript (Node.js ${v})` },
  { id: 71, language: 'python', name: (v) => `Python (${v})` },
  // Judge0's 74 is tsc; ours strips types with esbuild and runs on Node.js, so the name says so.
  { id: 74, language: 'typescript', name: (v) => `TypeScript (esbuild, Node.js ${v})` },
  // Judge0 CE 1.13.1's ids for the languages of the trixie images (issue 14).
  { id: 51, language: 'csharp', name: (v) => `C# (Mono ${v})` },
  { id: 57, language: 'elixir', name: (v) => `Elixir (${v})` },
  { id: 59, language: 'fortran', name: (v) => `Fortran (GFortran ${v})` },
  { id: 60, language: 'go', name: (v) => `Go (${v})` },
  { id: 61, language: 'haskell', name: (v) => `Haskell (GHC ${v})` },
  { id: 62, language: 'java', name: (v) => `Java (OpenJDK ${v})` },
  { id: 64, language: 'lua', name: (v) => `Lua (${v})` },
  { id: 65, language: 'ocaml', name: (v) => `OCaml (${v})` },
  { id: 67, language: 'pascal', name: (v) => `Pascal (FPC ${v})` },
  { id: 68, language: 'php', name: (v) => `PHP (${v})` },
  { id: 72, language: 'ruby', name: (v) => `Ruby (${v})` },
  { id: 73, language: 'rust', name: (v) => `Rust (${v})` },
  { id: 78, language: 'kotlin', name: (v) => `Kotlin (${v})` },
  { id: 80, language: 'r', name: (v) => `R (${v})` },
  { id: 82, language: 'sql', name: (v) => `SQL (SQLite ${v})` },
  { id: 85, language: 'perl', name: (v) => `Perl (${v})` },
];

export function judge0LanguageById(id: number): Judge0Language | undefined {
  return JUDGE0_LANGUAGES.find((l) => l.id === id);
}

export function judge0IdOf(language: LanguageId): number {
  return JUDGE0_LANGUAGES.find((l) => l.language === language)!.id;
}

export function languageName(language: Judge0Language, versions: RuntimeVersions): string {
  return language.name(versions[language.language] ?? 'version not yet known');
}

/** `GET /languages/{id}`: Judge0's language record, with our file name and commands. */
export function languageDetails(language: Judge0Language, versions: RuntimeVersions) {
  const spec = LANGUAGES[language.language];
  return {
    id: language.id,
    name: languageName(language, versions),
    is_archived: false,
    source_file: spec.sourceFile,
    compile_cmd: spec.compile ? spec.compile([spec.sourceFile]).join(' ') : null,
    run_cmd: spec.run(spec.sourceFile).join(' '),
  };
}
