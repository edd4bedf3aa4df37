/**
 * The deterministic "model": answers and embeddings are pure functions of the
 * model name and the input, so tests and clients can assert exact output and a
 * streamed answer always equals the non-streamed one.
 */
import { createHash } from 'node:crypto';

/** Keeps answers short whatever the prompt size: a mock need not echo a whole document. */
const MAX_ECHOED_WORDS = 48;
export const EMBEDDING_DIMENSIONS = 16;

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

export function splitWords(text: string): string[] {
  return text.split(/\s+/).filter((word) => word !== '');
}

export function countWords(text: string): number {
  return splitWords(text).length;
}

/**
 * The answer to `echoText`, as tokens (words) whose concatenation is the whole
 * answer: every token but the first carries its leading space, like a real
 * tokenizer's output. `conversationKey` is everything that shaped the answer
 * (e.g. the whole chat history); its hash makes the reference tag, so the same
 * last message in a different conversation gives a different answer.
 */
export function mockAnswerTokens(modelName: string, conversationKey: string, echoText: string): string[] {
  const reference = sha256(`${modelName}\u0000${conversationKey}`).toString('hex').slice(0, 8);
  const echoed = splitWords(echoText).slice(0, MAX_ECHOED_WORDS).reverse();
  const words = ['Echo:', ...echoed, `[ref:${reference}]`];
  return words.map((word, index) => (index === 0 ? word : ` ${word}`));
}

/** Ollama's `context`: token ids a client can send back to continue. Ours are stable hashes of the words. */
export function contextTokenIds(words: readonly string[]): number[] {
  return words.map((word) => sha256(word.trim()).readUInt32BE(0) % 32_000);
}

/**
 * A unit-length vector derived from SHA-256 of model and input: equal inputs
 * give equal vectors, different inputs (almost surely) different ones.
 */
export function mockEmbedding(modelName: string, input: string): number[] {
  const digest = sha256(`${modelName}\u0000${input}`);
  const raw: number[] = [];
  for (let i = 0; i < EMBEDDING_DIMENSIONS; i++) {
    // Two bytes per dimension, mapped to [-1, 1].
    raw.push(digest.readUInt16BE(i * 2) / 32_767.5 - 1);
  }
  const norm = Math.hypot(...raw);
  return norm === 0 ? raw : raw.map((value) => value / norm);
}
