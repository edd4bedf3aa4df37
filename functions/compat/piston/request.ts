/**
 * A Piston v2 execute request → a `POST /run` body, with Piston's checks in
 * Piston's order and words (`400 {"message"}`). Piston runs the first UTF-8
 * file and passes every file; we do the same, writing the first file as our
 * program when its name does not say its language (Piston's default names are
 * `file0.code`), so a C program still compiles as C.
 */
import { LANGUAGES } from '../../../core/languages.ts';
import { MAX_LIMITS, MIN_LIMITS, type LimitName } from '../../../core/limits.ts';
import { ceilingName, type Tenant } from '../../../core/tenants.ts';
import type { RunRequest } from '../../../core/contract.ts';
import type { RuntimeVersions } from '../shared/versions.ts';
import { findRuntime, type PistonRuntime } from './runtimes.ts';

export class PistonRequestError extends Error {
  override name = 'PistonRequestError';
}

export type PistonRun = Omit<RunRequest, 'wait'>;

export interface ParsedExecute {
  runtime: PistonRuntime;
  run: PistonRun;
  /** For each of our `files`, the index of the Piston file it came from (to name it in errors). */
  fileIndex: number[];
}

/** Piston's defaults (its config.js), in ms; memory -1 means "no limit" there and our default here. */
const CONSTRAINTS = {
  run_timeout: { limit: 'wallTimeMs', default: 3000 },
  compile_timeout: { limit: 'compileWallTimeMs', default: 10_000 },
  run_cpu_time: { limit: 'cpuTimeMs', default: 3000 },
  compile_cpu_time: { limit: 'compileCpuTimeMs', default: 10_000 },
  run_memory_limit: { limit: 'memoryMb', default: -1 },
  // Our compile stage runs under the job's one memory limit: checked, not applied apart.
  compile_memory_limit: { limit: 'memoryMb', default: -1 },
} as const satisfies Record<string, { limit: LimitName; default: number }>;
type Constraint = keyof typeof CONSTRAINTS;

const MIB = 1024 * 1024;
const isMemory = (name: Constraint) => name.endsWith('memory_limit');

/** What Piston calls "the configured limit": the tenant's ceiling, in Piston's unit. */
export function configuredLimit(name: Constraint, tenant: Tenant): number {
  const ceiling = Math.min(tenant.limits[ceilingName(CONSTRAINTS[name].limit)], MAX_LIMITS[CONSTRAINTS[name].limit]);
  return isMemory(name) ? ceiling * MIB : ceiling;
}

function limits(body: Record<string, unknown>, tenant: Tenant): Partial<Record<LimitName, number>> {
  const out: Partial<Record<LimitName, number>> = {};
  for (const name of Object.keys(CONSTRAINTS) as Constraint[]) {
    const value = body[name];
    const { limit } = CONSTRAINTS[name];
    // Piston skips falsy values; -1 is the clients' "default" (piston-client sends it).
    if (value !== undefined && value !== null && value !== 0 && value !== false && value !== '' && value !== -1) {
      if (typeof value !== 'number') throw new PistonRequestError(`If specified, ${name} must be a number`);
      if (value > configuredLimit(name, tenant)) throw new PistonRequestError(`${name} cannot exceed the configured limit of ${configuredLimit(name, tenant)}`);
      if (value < 0) throw new PistonRequestError(`${name} must be non-negative`);
      if (name === 'compile_memory_limit') continue;
      out[limit] = Math.max(MIN_LIMITS[limit], isMemory(name) ? Math.ceil(value / MIB) : Math.round(value));
    } else if (CONSTRAINTS[name].default > 0) {
      out[limit] = Math.min(CONSTRAINTS[name].default, configuredLimit(name, tenant));
    }
  }
  return out;
}

/** A file's content as text; Piston allows binary files, our job contract holds text only. */
function decodeFile(content: string, encoding: string, index: number): string {
  if (encoding === 'utf8') return content;
  const bytes = Buffer.from(content, encoding as BufferEncoding);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new PistonRequestError(`files[${index}].content: binary (non UTF-8) files are not supported`);
  }
}

export function parseExecute(body: unknown, tenant: Tenant, versions: RuntimeVersions): ParsedExecute {
  const input = (typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
  const { language, version, files, stdin, args } = input;
  if (!language || typeof language !== 'string') throw new PistonRequestError('language is required as a string');
  if (!version || typeof version !== 'string') throw new PistonRequestError('version is required as a string');
  if (!files || !Array.isArray(files)) throw new PistonRequestError('files is required as an array');
  files.forEach((file: unknown, i) => {
    if (typeof (file as { content?: unknown } | null)?.content !== 'string') throw new PistonRequestError(`files[${i}].content is required as a string`);
  });
  const runtime = findRuntime(language, version, versions);
  if (!runtime) throw new PistonRequestError(`${language}-${version} runtime is unknown`);

  const normalised = (files as { name?: unknown; content: string; encoding?: unknown }[]).map((file, i) => {
    const encoding = ['base64', 'hex', 'utf8'].includes(file.encoding as string) ? (file.encoding as string) : 'utf8';
    const name = typeof file.name === 'string' && file.name !== '' ? file.name : `file${i}.code`;
    return { index: i, name, encoding, content: decodeFile(file.content, encoding, i) };
  });
  const entry = normalised.find((f) => f.encoding === 'utf8');
  if (!entry) throw new PistonRequestError('files must include at least one utf8 encoded file');
  if (stdin !== undefined && stdin !== null && typeof stdin !== 'string') throw new PistonRequestError('stdin must be a string');
  if (args !== undefined && args !== null && !(Array.isArray(args) && args.every((a) => typeof a === 'string'))) {
    throw new PistonRequestError('args must be an array of strings');
  }
  const runLimits = limits(input, tenant);

  const spec = LANGUAGES[runtime.ours];
  const ownExtension = spec.sourceFile.slice(spec.sourceFile.lastIndexOf('.'));
  const namedForLanguage = entry.name.endsWith(ownExtension) || (spec.compiles?.test(entry.name) ?? false);
  const others = normalised.filter((f) => f !== entry || namedForLanguage);
  // Piston adds the newline a terminal would send after the last line.
  const stdinText = typeof stdin === 'string' ? stdin : '';
  return {
    runtime,
    run: {
      language: runtime.ours,
      ...(namedForLanguage ? { entryPoint: entry.name } : { source: entry.content }),
      files: others.map((f) => ({ path: f.name, content: f.content })),
      stdin: stdinText.endsWith('\n') ? stdinText : `${stdinText}\n`,
      args: (args as string[] | undefined) ?? [],
      limits: runLimits,
    },
    fileIndex: others.map((f) => f.index),
  };
}
