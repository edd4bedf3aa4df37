/**
 * Our languages as Piston runtimes: Piston's language names and aliases (from
 * its packages' metadata), with our real versions. Piston picks a runtime by
 * name or alias and a semver selector; we run one version per language.
 */
import type { LanguageId } from '../../../core/languages.ts';
import type { RuntimeVersions } from '../shared/versions.ts';

export interface PistonRuntime {
  language: string;
  aliases: string[];
  /** Piston names the runtime when one provides several languages (node, gcc). */
  runtime?: string;
  ours: LanguageId;
}

export const PISTON_RUNTIMES: readonly PistonRuntime[] = [
  { language: 'bash', aliases: ['sh'], ours: 'bash' },
  { language: 'c', aliases: ['gcc'], runtime: 'gcc', ours: 'c' },
  { language: 'c++', aliases: ['cpp', 'g++'], runtime: 'gcc', ours: 'cpp' },
  { language: 'javascript', aliases: ['node-javascript', 'node-js', 'javascript', 'js'], runtime: 'node', ours: 'javascript' },
  { language: 'python', aliases: ['py', 'py3', 'python3'], ours: 'python' },
  // Types are stripped by esbuild and the program runs on Node.js: the version is Node's.
  { language: 'typescript', aliases: ['ts', 'node-ts', 'tsc', 'typescript5', 'ts5'], ours: 'typescript' },
  // The languages of the trixie images (issue 14), by Piston's package names and aliases.
  { language: 'go', aliases: ['go', 'golang'], ours: 'go' },
  { language: 'rust', aliases: ['rs'], ours: 'rust' },
  { language: 'java', aliases: [], ours: 'java' },
  { language: 'kotlin', aliases: ['kt'], ours: 'kotlin' },
  { language: 'csharp', aliases: ['mono', 'mono-csharp', 'mono-c#', 'mono-cs', 'c#', 'cs'], runtime: 'mono', ours: 'csharp' },
  { language: 'ruby', aliases: ['ruby3', 'rb'], ours: 'ruby' },
  { language: 'php', aliases: [], ours: 'php' },
  { language: 'perl', aliases: ['pl'], ours: 'perl' },
  { language: 'lua', aliases: [], ours: 'lua' },
  { language: 'rscript', aliases: ['r'], ours: 'r' },
  { language: 'haskell', aliases: ['haskell', 'hs'], ours: 'haskell' },
  { language: 'sqlite3', aliases: ['sqlite', 'sql'], ours: 'sql' },
  { language: 'fortran', aliases: ['fortran', 'f90'], ours: 'fortran' },
  { language: 'pascal', aliases: ['freepascal', 'pp', 'pas'], ours: 'pascal' },
  { language: 'ocaml', aliases: ['ocaml', 'ml'], ours: 'ocaml' },
  { language: 'elixir', aliases: ['elixir', 'exs'], ours: 'elixir' },
];

/** Until a worker has read the image's versions, a runtime shows this (and matches only "*"). */
export const UNKNOWN_VERSION = '0.0.0';

export const versionOf = (runtime: PistonRuntime, versions: RuntimeVersions) => versions[runtime.ours] ?? UNKNOWN_VERSION;

export function runtimeList(versions: RuntimeVersions) {
  return PISTON_RUNTIMES.map((rt) => ({ language: rt.language, version: versionOf(rt, versions), aliases: rt.aliases, ...(rt.runtime ? { runtime: rt.runtime } : {}) }));
}

type Version = [number, number, number];
const parse = (text: string): Version | undefined => {
  const m = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
};
const compare = (a: Version, b: Version) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/**
 * The semver selectors clients send to Piston: `*`/`x`, exact `3.11.2`,
 * partial or x-ranges (`3`, `3.11`, `3.x`, `3.11.x`), `^`, `~`, and
 * comparisons (`>=3.8`, `<4`), several joined by spaces. No `||` or hyphen ranges.
 */
export function satisfies(versionText: string, selector: string): boolean {
  const version = parse(versionText);
  const parts = selector.trim().split(/\s+/).filter((p) => p !== '');
  if (!version) return parts.every((p) => ['*', 'x', 'X'].includes(p));
  return parts.length > 0 && parts.every((part) => satisfiesOne(version, part));
}

function satisfiesOne(version: Version, part: string): boolean {
  const m = /^(\^|~|>=|<=|>|<|=)?v?(\*|x|X|\d+)(?:\.(\*|x|X|\d+))?(?:\.(\*|x|X|\d+))?$/.exec(part);
  if (!m) return false;
  const [, op = '', ...raw] = m;
  const given = raw.map((p) => (p === undefined || /^[*xX]$/.test(p) ? undefined : Number(p)));
  const defined = given.findIndex((p) => p === undefined);
  const precision = defined === -1 ? 3 : defined;
  const low: Version = [given[0] ?? 0, given[1] ?? 0, given[2] ?? 0];
  const bump = (level: number): Version => (level === 0 ? [low[0] + 1, 0, 0] : level === 1 ? [low[0], low[1] + 1, 0] : [low[0], low[1], low[2] + 1]);
  const within = (from: Version, to: Version) => compare(version, from) >= 0 && compare(version, to) < 0;
  if (precision === 0) return op !== '<' && op !== '>';
  switch (op) {
    case '>=': return compare(version, low) >= 0;
    case '>': return precision === 3 ? compare(version, low) > 0 : compare(version, bump(precision - 1)) >= 0;
    case '<': return compare(version, low) < 0;
    case '<=': return precision === 3 ? compare(version, low) <= 0 : compare(version, bump(precision - 1)) < 0;
    case '^': return within(low, low[0] > 0 || precision === 1 ? bump(0) : low[1] > 0 || precision === 2 ? bump(1) : bump(2));
    case '~': return within(low, precision === 1 ? bump(0) : bump(1));
    default: return precision === 3 ? compare(version, low) === 0 : within(low, bump(precision - 1));
  }
}

/** The runtime for a language name or alias whose version satisfies the selector. */
export function findRuntime(language: string, selector: string, versions: RuntimeVersions): PistonRuntime | undefined {
  return PISTON_RUNTIMES.find((rt) => (rt.language === language || rt.aliases.includes(language)) && satisfies(versionOf(rt, versions), selector));
}
