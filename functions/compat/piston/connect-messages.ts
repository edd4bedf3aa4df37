/**
 * The messages of Piston's interactive protocol (`/api/v2/connect`), and the
 * relay's translator from our job events to them. A session is one job: the
 * socket gets `runtime` and `stage` when the job is accepted (from the
 * $default Lambda), then `data` as the program writes, then one `exit` per
 * stage, and the socket is closed (Piston closes with 4999 "Job Completed";
 * API Gateway cannot choose a close code).
 *
 * Only the run stage streams here (the compiler's output is in the result), so
 * for a compiled language the first output event also tells that the compile
 * stage ended well: it is preceded by `exit compile` and `stage run`. A program
 * that wrote nothing gets them, with the compiler's output, from the final event.
 * The translator is pure: the dialect's name says whether the language compiles.
 */
import type { JobResult } from '../../../core/contract.ts';
import type { DialectTranslator, NativeMessage, Translation } from '../../../relay/dialects.ts';
import { stageViews, type stageView } from './result-view.ts';

/** Dialect names, recorded with a Piston socket's subscription. */
export const PISTON_DIALECT = 'piston';
export const PISTON_COMPILED_DIALECT = 'piston:compile';

export type PistonStage = 'compile' | 'run';
type StageView = ReturnType<typeof stageView>;

/** Piston's `runtime`, plus our job id (for `GET /jobs/{id}`; clients ignore fields they do not know). */
export const runtimeMessage = (language: string, version: string, jobId: string) => ({ type: 'runtime', language, version, jobId });
export const stageMessage = (stage: PistonStage) => ({ type: 'stage', stage });
const dataMessage = (stream: 'stdout' | 'stderr', data: string) => ({ type: 'data', stream, data });
const exitMessage = (stage: PistonStage, view: Pick<StageView, 'code' | 'signal'>) => ({ type: 'exit', stage, code: view.code, signal: view.signal });

/**
 * Piston's close codes. It sends an `error` message only before 4002; we cannot
 * close with a code, so every refusal is an `error` naming Piston's reason and
 * code (`closeCode`), then the close.
 */
export const PISTON_CLOSE = {
  alreadyInitialized: { closeCode: 4000, reason: 'Already Initialized' },
  notifiedError: { closeCode: 4002, reason: 'Notified Error' },
  notYetInitialized: { closeCode: 4003, reason: 'Not yet initialized' },
  stdinOnly: { closeCode: 4004, reason: 'Can only write to stdin' },
  invalidSignal: { closeCode: 4005, reason: 'Invalid signal' },
} as const;
export type PistonClose = (typeof PISTON_CLOSE)[keyof typeof PISTON_CLOSE];

export const errorMessage = (message: string, close?: PistonClose) => ({ type: 'error', message, ...(close ? { closeCode: close.closeCode } : {}) });

const NOTHING: Translation = { messages: [], close: false };
const COMPILED_OK = { code: 0, signal: null };

/** The compile stage's output and exit, for a final event that reports it. */
function compileStage(compile: StageView): object[] {
  return [
    ...(compile.stdout ? [dataMessage('stdout', compile.stdout)] : []),
    ...(compile.stderr ? [dataMessage('stderr', compile.stderr)] : []),
    exitMessage('compile', compile),
  ];
}

function finalMessages(result: JobResult | undefined, compiles: boolean): object[] {
  // A result too large for a push (kept in S3) is not in the event: the exit then has no code.
  if (!result) return [exitMessage('run', { code: null, signal: null })];
  const { compile, run } = stageViews(result);
  if (!run) return compile ? compileStage(compile) : [];
  // Output was streamed, so the first output event has already ended the compile stage.
  const streamed = result.stdout !== '' || result.stderr !== '';
  const before = compiles && compile && !streamed ? [...compileStage(compile), stageMessage('run')] : [];
  return [...before, exitMessage('run', run)];
}

export function pistonTranslator(compiles: boolean): DialectTranslator {
  return (message: NativeMessage): Translation => {
    if (message.type === 'job.output') {
      const data = dataMessage(message.stream, message.data);
      const first = compiles && message.seq === 1 ? [exitMessage('compile', COMPILED_OK), stageMessage('run')] : [];
      return { messages: [...first, data], close: false };
    }
    if (message.type === 'job.failed') {
      return { messages: [errorMessage(message.job.error?.message ?? 'the platform could not run the job', PISTON_CLOSE.notifiedError)], close: true };
    }
    if (message.type === 'job.completed') return { messages: finalMessages(message.job.result, compiles), close: true };
    return NOTHING;
  };
}

/** The relay's translators for Piston sockets (relay/main.ts). */
export const pistonDialects: Record<string, DialectTranslator> = {
  [PISTON_DIALECT]: pistonTranslator(false),
  [PISTON_COMPILED_DIALECT]: pistonTranslator(true),
};
