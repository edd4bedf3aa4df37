import { MAX_SOURCE_BYTES, MAX_STDIN_BYTES, MAX_TOTAL_FILES_BYTES } from '../../../core/limits.ts';

/**
 * Room for JSON escaping (or Base64, or hex) around the largest source, files
 * and stdin a job may carry; the use case checks each part's own limit.
 */
export const MAX_BODY_BYTES = 2 * (MAX_SOURCE_BYTES + MAX_TOTAL_FILES_BYTES + MAX_STDIN_BYTES) + 16 * 1024;
