/** Size caps on a submission, checked on the raw body before parsing (413 names the field). */
import type { JobInput } from '../../core/contract.ts';
import { badRequest, payloadTooLarge } from '../../core/errors.ts';
import { MAX_SOURCE_BYTES, MAX_STDIN_BYTES, MAX_TOTAL_FILES_BYTES } from '../../core/limits.ts';
import { MAX_TESTS_BYTES, testsBytes } from '../../core/test-cases.ts';

/**
 * The largest request body a submission may have, checked before parsing:
 * room for JSON escaping (or Base64) around the largest source, files and
 * stdin (or tests, which cannot come with stdin) together; checkSizes then
 * holds each part to its own limit.
 */
export const MAX_SUBMISSION_BODY_BYTES = 2 * (MAX_SOURCE_BYTES + MAX_TOTAL_FILES_BYTES + Math.max(MAX_STDIN_BYTES, MAX_TESTS_BYTES)) + 16 * 1024;

export function checkSizes(body: unknown): void {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('request body must be a JSON object', [{ field: '(body)', reason: 'must be a JSON object' }]);
  }
  const { source, stdin, files, tests } = body as Record<string, unknown>;
  if (typeof source === 'string' && Buffer.byteLength(source) > MAX_SOURCE_BYTES) throw payloadTooLarge('source', MAX_SOURCE_BYTES);
  if (typeof stdin === 'string' && Buffer.byteLength(stdin) > MAX_STDIN_BYTES) throw payloadTooLarge('stdin', MAX_STDIN_BYTES);
  if (Array.isArray(files)) {
    const total = files.reduce((sum: number, f: unknown) => {
      const content = (f as { content?: unknown } | null)?.content;
      return sum + (typeof content === 'string' ? Buffer.byteLength(content) : 0);
    }, typeof source === 'string' ? Buffer.byteLength(source) : 0);
    if (total > MAX_TOTAL_FILES_BYTES) throw payloadTooLarge('files', MAX_TOTAL_FILES_BYTES);
  }
  if (testsBytes(tests) > MAX_TESTS_BYTES) throw payloadTooLarge('tests', MAX_TESTS_BYTES);
}

/** Bytes of everything a job carries, to decide whether it rides inline in the SQS message. */
export function inputBytes(input: JobInput): number {
  const parts = [input.source ?? '', input.stdin, input.expectedOutput ?? '', ...input.files.map((f) => f.content), ...input.args];
  return parts.reduce((n, s) => n + Buffer.byteLength(s), testsBytes(input.tests));
}
