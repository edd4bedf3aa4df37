/**
 * Errors that map to HTTP answers. Anything that is not an ApiError is
 * unexpected and becomes a generic 500 carrying the request id — never the
 * error's own text, which could reveal internals.
 */
export interface FieldProblem {
  field: string;
  reason: string;
}

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly fields?: FieldProblem[],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  toJSON() {
    return { code: this.code, message: this.message, ...(this.fields ? { fields: this.fields } : {}) };
  }
}

export const badRequest = (message: string, fields?: FieldProblem[]) =>
  new ApiError(400, 'invalid_request', message, fields);
export const unauthorized = () => new ApiError(401, 'unauthorized', 'missing or invalid x-api-key header');
export const forbidden = (message: string) => new ApiError(403, 'forbidden', message);
export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} not found`);
export const payloadTooLarge = (field: string, limit: number) =>
  new ApiError(413, 'payload_too_large', `${field} exceeds ${limit} bytes`, [
    { field, reason: `larger than ${limit} bytes` },
  ]);
export const unsupportedMediaType = () =>
  new ApiError(415, 'unsupported_media_type', 'content-type must be application/json');
export const serviceUnavailable = (message: string, retryAfterSeconds = 1) =>
  new ApiError(503, 'unavailable', message, undefined, { 'Retry-After': String(retryAfterSeconds) });
export const tooManyRequests = (message: string, headers: Record<string, string>) =>
  new ApiError(429, 'rate_limited', message, undefined, headers);
export const unprocessable = (code: string, message: string) => new ApiError(422, code, message);
