/**
 * `POST /api/generate` and `POST /api/chat`. Both are the same machine — pick
 * tokens, pace them out, finish with Ollama's statistics — differing only in
 * how a chunk carries its text (`response` vs `message.content`).
 */
import type { ServerResponse } from 'node:http';
import { AiNodeError, endStream, sendError, sendJson, startNdjsonStream, writeNdjsonLine } from './http-io.ts';
import { contextTokenIds, countWords, mockAnswerTokens, splitWords } from './mock-model.ts';
import type { RouteContext } from './route-context.ts';
import { chatRequestSchema, generateRequestSchema, parseRequest, type ChatMessage } from './request-schemas.ts';
import { emitPaced, isAbortError } from './token-pacing.ts';

type Fields = Record<string, unknown>;

interface CompletionPlan {
  /** As the client wrote it (Ollama echoes `req.model`, not the resolved name). */
  modelName: string;
  tokens: string[];
  promptEvalCount: number;
  stream: boolean;
  numPredict: number | undefined;
  /** The route-specific field(s) carrying `text`: `{ response }` or `{ message }`. */
  textFields(text: string): Fields;
  /** Extra fields of the final object (generate's `context`). */
  finalExtras(emitted: readonly string[]): Fields;
}

const createdAt = (): string => new Date().toISOString();

/** Ollama's answer to an empty prompt: the model is "loaded" and nothing is generated. */
function sendLoadOnly(res: ServerResponse, stream: boolean, body: Fields): void {
  if (!stream) return sendJson(res, 200, body);
  startNdjsonStream(res);
  writeNdjsonLine(res, body);
  endStream(res);
}

async function serveCompletion(res: ServerResponse, ctx: RouteContext, plan: CompletionPlan): Promise<void> {
  const limited = plan.numPredict !== undefined && plan.numPredict > 0 && plan.numPredict < plan.tokens.length;
  const tokens = limited ? plan.tokens.slice(0, plan.numPredict) : plan.tokens;
  const emitted: string[] = [];
  const generationStart = process.hrtime.bigint();
  if (plan.stream) startNdjsonStream(res);
  let timings;
  try {
    timings = await emitPaced(tokens, ctx.pacing, ctx.signal, (token) => {
      emitted.push(token);
      if (plan.stream) writeNdjsonLine(res, { model: plan.modelName, created_at: createdAt(), ...plan.textFields(token), done: false });
    });
  } catch (error) {
    if (!isAbortError(error)) throw error;
    // A gone client gets nothing (the write is skipped); during shutdown a still-connected client learns why.
    sendError(res, new AiNodeError(503, 'generation cancelled: the AI node is shutting down'));
    return;
  }
  const finishedAt = process.hrtime.bigint();
  const final = {
    model: plan.modelName,
    created_at: createdAt(),
    ...plan.textFields(plan.stream ? '' : emitted.join('')),
    done: true,
    done_reason: limited ? 'length' : 'stop',
    ...plan.finalExtras(emitted),
    total_duration: Number(finishedAt - ctx.receivedAt),
    load_duration: Number(generationStart - ctx.receivedAt),
    prompt_eval_count: plan.promptEvalCount,
    prompt_eval_duration: timings.promptEvalNs,
    eval_count: emitted.length,
    eval_duration: timings.evalNs,
  };
  if (!plan.stream) return sendJson(res, 200, final);
  writeNdjsonLine(res, final);
  endStream(res);
}

export async function handleGenerate(body: unknown, res: ServerResponse, ctx: RouteContext): Promise<void> {
  const request = parseRequest(generateRequestSchema, body);
  const model = ctx.catalog.resolve(request.model);
  ctx.catalog.require(model, 'completion', 'generate');
  if (request.prompt === '') {
    return sendLoadOnly(res, request.stream, { model: request.model, created_at: createdAt(), response: '', done: true, done_reason: 'load' });
  }
  await serveCompletion(res, ctx, {
    modelName: request.model,
    tokens: mockAnswerTokens(model.name, request.prompt, request.prompt),
    promptEvalCount: countWords(request.prompt),
    stream: request.stream,
    numPredict: request.options?.num_predict,
    textFields: (text) => ({ response: text }),
    finalExtras: (emitted) => ({ context: contextTokenIds([...splitWords(request.prompt), ...emitted]) }),
  });
}

/** The mock echoes the latest user turn; the whole history still seeds the answer. */
function lastUserContent(messages: readonly ChatMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (message?.role === 'user') return message.content;
  }
  return messages.at(-1)?.content ?? '';
}

export async function handleChat(body: unknown, res: ServerResponse, ctx: RouteContext): Promise<void> {
  const request = parseRequest(chatRequestSchema, body);
  const model = ctx.catalog.resolve(request.model);
  ctx.catalog.require(model, 'completion', 'chat');
  const assistant = (content: string): Fields => ({ message: { role: 'assistant', content } });
  if (request.messages.length === 0) {
    return sendLoadOnly(res, request.stream, { model: request.model, created_at: createdAt(), ...assistant(''), done: true, done_reason: 'load' });
  }
  const history = JSON.stringify(request.messages.map((m) => [m.role, m.content]));
  await serveCompletion(res, ctx, {
    modelName: request.model,
    tokens: mockAnswerTokens(model.name, history, lastUserContent(request.messages)),
    promptEvalCount: request.messages.reduce((sum, m) => sum + countWords(m.content), 0),
    stream: request.stream,
    numPredict: request.options?.num_predict,
    textFields: assistant,
    finalExtras: () => ({}),
  });
}
