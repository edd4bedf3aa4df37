/**
 * Emits tokens at a model-like pace: a pause before the first token (prompt
 * evaluation), then `tokensPerSecond`. Waits are abortable timers, so a client
 * that hangs up stops the loop and clears its pending timer at once.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface Pacing {
  /** 0 = no delay between tokens. */
  tokensPerSecond: number;
  /** Delay before the first token; 0 = none. */
  firstTokenMs: number;
}

/** Ollama reports durations in nanoseconds. */
export interface EmissionTimings {
  promptEvalNs: number;
  evalNs: number;
}

const nowNs = (): bigint => process.hrtime.bigint();

/**
 * Calls `onToken` for each token at the paced rate. Resolves with the timings
 * once all are out; rejects with an AbortError if `signal` fires first.
 */
export async function emitPaced(
  tokens: readonly string[],
  pacing: Pacing,
  signal: AbortSignal,
  onToken: (token: string) => void,
): Promise<EmissionTimings> {
  const interTokenMs = pacing.tokensPerSecond > 0 ? 1000 / pacing.tokensPerSecond : 0;
  const start = nowNs();
  let firstTokenAt = start;
  for (const [index, token] of tokens.entries()) {
    const delayMs = index === 0 ? pacing.firstTokenMs : interTokenMs;
    if (delayMs > 0) await sleep(delayMs, undefined, { signal });
    // Without a delay there is no timer to abort, so check the signal ourselves.
    signal.throwIfAborted();
    if (index === 0) firstTokenAt = nowNs();
    onToken(token);
  }
  const end = nowNs();
  return { promptEvalNs: Number(firstTokenAt - start), evalNs: Number(end - firstTokenAt) };
}

export function isAbortError(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || (error as { code?: string }).code === 'ABORT_ERR');
}
