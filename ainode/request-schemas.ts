/**
 * Request bodies of the Ollama routes we serve, as zod schemas. Fields Ollama
 * knows but the mock ignores (format, keep_alive, images, tools, ...) are
 * stripped rather than rejected, as Ollama ignores what it does not use.
 */
import { z } from 'zod';
import { AiNodeError } from './http-io.ts';

const modelField = z.string().trim().min(1, 'must not be empty');

/** Only `num_predict` changes the mock's answer; other options are accepted and ignored. */
const optionsField = z
  .looseObject({
    // Ollama: -1 = no limit, -2 = fill the context; only a positive value caps the answer.
    num_predict: z.number().int().optional(),
  })
  .optional();

export const generateRequestSchema = z.object({
  model: modelField,
  prompt: z.string(),
  stream: z.boolean().default(true),
  options: optionsField,
});
export type GenerateRequest = z.infer<typeof generateRequestSchema>;

export const chatMessageSchema = z.looseObject({
  role: z.enum(['system', 'user', 'assistant', 'tool']),
  content: z.string(),
});
export type ChatMessage = z.infer<typeof chatMessageSchema>;

export const chatRequestSchema = z.object({
  model: modelField,
  messages: z.array(chatMessageSchema),
  stream: z.boolean().default(true),
  options: optionsField,
});
export type ChatRequest = z.infer<typeof chatRequestSchema>;

export const embedRequestSchema = z.object({
  model: modelField,
  input: z.union([z.string(), z.array(z.string())], { error: 'expected a string or an array of strings' }),
});
export type EmbedRequest = z.infer<typeof embedRequestSchema>;

/** `messages[0].role`-style path, so the error names the exact field. */
function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    out += typeof key === 'number' ? `[${key}]` : `${out === '' ? '' : '.'}${String(key)}`;
  }
  return out === '' ? 'request body' : out;
}

/** Parses `body` with `schema` or throws a 400 whose message names every bad field. */
export function parseRequest<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
  throw new AiNodeError(400, `invalid request: ${problems.join('; ')}`);
}
