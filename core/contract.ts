/**
 * The job contract shared by the control plane and the workers: what clients
 * send, what travels on the queue, what is stored and what clients read back.
 * Field names here are public API (`language`, `source`, `stdin`, `jobId`,
 * `status`, `result.*`): extend, never rename.
 */
import { z } from 'zod';
import { LANGUAGE_IDS, LANGUAGES } from './languages.ts';
import { DEFAULT_LIMITS, LIMIT_NAMES, MAX_ARGS, MAX_FILES, MAX_LIMITS, MAX_OUTPUT_GLOBS, MIN_LIMITS, type LimitName } from './limits.ts';
import { callbackUrlProblem } from './callback-target.ts';
import { testCaseSchema, testCasesSchema } from './test-cases.ts';

export const JOB_STATUSES = ['queued', 'running', 'completed', 'failed'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const VERDICTS = [
  'ok',
  'wrong_answer',
  'compile_error',
  'runtime_error',
  'time_limit_exceeded',
  'memory_limit_exceeded',
  'output_limit_exceeded',
  'internal_error',
] as const;
export type Verdict = (typeof VERDICTS)[number];

const languageSchema = z.enum(LANGUAGE_IDS, {
  error: () => `unsupported language; supported: ${LANGUAGE_IDS.join(', ')}`,
});

const limitsShape = Object.fromEntries(
  LIMIT_NAMES.map((name) => [name, z.number().int().min(MIN_LIMITS[name]).max(MAX_LIMITS[name])]),
) as Record<LimitName, z.ZodNumber>;

/**
 * The program's stack (RLIMIT_STACK), in KiB. Not one of LIMIT_NAMES: it has no
 * default of its own (absent, the runtime's 8 MiB) and no tenant ceiling (the
 * stack is memory, which has both).
 */
export const STACK_KB_BOUNDS = { min: 256, max: 1024 * 1024 } as const;
const stackKbSchema = z.number().int().min(STACK_KB_BOUNDS.min).max(STACK_KB_BOUNDS.max);

/** Per-request limits: any subset, each between its minimum and maximum (400 names the limit otherwise). */
export const limitsRequestSchema = z.strictObject({ ...limitsShape, stackKb: stackKbSchema }).partial();

export const ISOLATION_TIERS = ['standard', 'gvisor'] as const;
export type IsolationTier = (typeof ISOLATION_TIERS)[number];

/**
 * Relative paths inside the work dir: no absolute paths, no `..`, no hidden tricks.
 * Paths go onto compiler and interpreter command lines as they are, so one that
 * starts with `-` (`-o`, `-E`) would be read as an option, not a file.
 */
const filePathSchema = z
  .string()
  .max(128)
  .regex(/^(?!\/)(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9._\/-]+$/, 'must be a relative path of letters, digits, ".", "_", "-" and "/" without "." or ".." parts')
  .refine((path) => !path.startsWith('-'), 'must not start with "-" (it would read as a command-line option)');

/**
 * A glob of files to bring back, relative to the work dir (`*.png`, `result.csv`, `**` for any depth):
 * the path characters plus `*`, `?`, `[`, `]` and `!`, no `.`/`..` parts.
 */
const outputGlobSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^(?!\/)(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9._\/*?[\]!-]+$/, 'must be a relative glob of letters, digits, ".", "_", "-", "/", "*", "?", "[", "]" and "!" without "." or ".." parts');

export const jobFileSchema = z.strictObject({
  path: filePathSchema,
  content: z.string(),
});

/** Body of `POST /run`. Size limits on `source`/`stdin`/`files` are checked by the handler (413). */
export const runRequestSchema = z
  .strictObject({
    language: languageSchema,
    /** The main program. May be omitted when `files` and `entryPoint` are given. */
    source: z.string().min(1, 'must not be empty').optional(),
    stdin: z.string().default(''),
    args: z.array(z.string().max(4096)).max(MAX_ARGS).default([]),
    /** More files next to the main program (modules, headers, data). */
    files: z.array(jobFileSchema).max(MAX_FILES).default([]),
    /** Which file is the program, when it is one of `files`. */
    entryPoint: filePathSchema.optional(),
    /** When given, a run that exits 0 with other output gets `wrong_answer`. */
    expectedOutput: z.string().optional(),
    /** Globs of files the program leaves in its work dir to return in `result.outputs`. */
    outputs: z.array(outputGlobSchema).max(MAX_OUTPUT_GLOBS).optional(),
    /** More compiler arguments, after ours (so a later `-std=`/`-O` wins, and `-l` comes after the sources). */
    compilerOptions: z.array(z.string().min(1, 'must not be empty').max(256)).max(32).optional(),
    isolation: z.enum(ISOLATION_TIERS, { error: () => `must be one of: ${ISOLATION_TIERS.join(', ')}` }).optional(),
    limits: limitsRequestSchema.optional(),
    /** PUT the finished job here (signed; http(s) to a public address only: core/callback-target.ts). */
    callbackUrl: z.string().superRefine((url, ctx) => {
      const problem = callbackUrlProblem(url);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }).optional(),
    /** One compile, many runs: each test runs in fresh namespaces with its own stdin (core/test-cases.ts). */
    tests: testCasesSchema.optional(),
    /** POST /run only: wait up to this many seconds (API Gateway allows 29 s) for the result. */
    wait: z.number().min(0).max(25).optional(),
    /** Publish `job.output` events while the program runs (see jobOutputEventSchema). */
    stream: z.boolean().optional(),
    /** WebSocket `run` only: keep stdin open for `stdin` actions (implies stream). */
    interactive: z.boolean().optional(),
  })
  .superRefine((req, ctx) => {
    if (req.source === undefined && req.entryPoint === undefined) {
      ctx.addIssue({ code: 'custom', path: ['source'], message: 'is required (or give files and an entryPoint)' });
    }
    if (req.source !== undefined && req.entryPoint !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['entryPoint'], message: 'cannot be combined with source; put the program in files' });
    }
    if (req.entryPoint !== undefined && !req.files.some((f) => f.path === req.entryPoint)) {
      ctx.addIssue({ code: 'custom', path: ['entryPoint'], message: 'must name one of the files' });
    }
    if (req.compilerOptions !== undefined && !LANGUAGES[req.language].compile) {
      ctx.addIssue({ code: 'custom', path: ['compilerOptions'], message: `${req.language} has no compile stage` });
    }
    if (req.tests !== undefined && req.stdin !== '') {
      ctx.addIssue({ code: 'custom', path: ['stdin'], message: 'cannot be combined with tests; give each test its stdin' });
    }
    if (req.tests !== undefined && req.expectedOutput !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['expectedOutput'], message: 'cannot be combined with tests; give each test its expectedOutput' });
    }
    if (req.tests !== undefined && req.outputs !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['outputs'], message: 'cannot be combined with tests (each test runs in a work dir of its own)' });
    }
    // Many runs of one compile have no single live stream or stdin to attach to.
    for (const live of ['stream', 'interactive'] as const) {
      if (req.tests !== undefined && req[live]) ctx.addIssue({ code: 'custom', path: [live], message: 'cannot be combined with tests' });
    }
    const seen = new Set<string>();
    req.files.forEach((f, i) => {
      if (seen.has(f.path)) ctx.addIssue({ code: 'custom', path: ['files', i, 'path'], message: 'duplicate path' });
      seen.add(f.path);
    });
  });
export type RunRequest = z.infer<typeof runRequestSchema>;

// A limit added later (outputFilesBytes) gets its default in records and messages written before it.
export const jobLimitsSchema = z.object({
  ...(Object.fromEntries(LIMIT_NAMES.map((name) => [name, z.number().int().positive().default(DEFAULT_LIMITS[name])])) as Record<LimitName, z.ZodDefault<z.ZodNumber>>),
  stackKb: z.number().int().positive().optional(),
});
export type JobLimits = z.infer<typeof jobLimitsSchema>;

/** What the program needs to run; stored in S3, inlined in the message when small. */
export const jobInputSchema = z.object({
  language: languageSchema,
  /** The main program; undefined when `entryPoint` names one of `files`. */
  source: z.string().optional(),
  stdin: z.string(),
  args: z.array(z.string()).default([]),
  files: z.array(z.object({ path: z.string(), content: z.string() })).default([]),
  entryPoint: z.string().optional(),
  expectedOutput: z.string().optional(),
  /** Globs of files to bring back (absent: none). */
  outputs: z.array(z.string()).optional(),
  /** Appended to the compile command. */
  compilerOptions: z.array(z.string()).optional(),
  /** Present: compile once, then run once per test, each with its own stdin (and expected output). */
  tests: z.array(testCaseSchema).optional(),
});
export type JobInput = z.infer<typeof jobInputSchema>;

/** Where the worker PUTs the finished job, and in which API's shape. */
export const jobCallbackSchema = z.object({ url: z.string(), format: z.enum(['runplane', 'judge0']) });
export type JobCallback = z.infer<typeof jobCallbackSchema>;

/** The SQS message body. */
export const jobMessageSchema = z.object({
  jobId: z.string().min(1),
  tenantId: z.string().min(1),
  /** Where the input is in S3, when it is not in the job's record (larger than RECORD_INPUT_MAX_BYTES). */
  inputKey: z.string().min(1).optional(),
  /** The input itself, when it fits in the message (INLINE_INPUT_MAX_BYTES). */
  input: jobInputSchema.optional(),
  limits: jobLimitsSchema,
  isolation: z.enum(ISOLATION_TIERS).default('standard'),
  /** The tenant's setting: may the job call the AI node. */
  aiEnabled: z.boolean().default(true),
  submittedAt: z.string(),
  callback: jobCallbackSchema.optional(),
  /** Live output (job.output events); absent for plain jobs, which pay nothing for it. */
  stream: z.boolean().optional(),
  /** Stdin stays open for the client's `stdin` actions (implies stream). */
  interactive: z.boolean().optional(),
}).refine((m) => m.input !== undefined || m.inputKey !== undefined, { message: 'the message has neither input nor inputKey', path: ['input'] });
export type JobMessage = z.infer<typeof jobMessageSchema>;

/** What one stage (compile or run) produced; the run stage's fields are also the result's. */
export const stageOutputSchema = z.object({
  stdout: z.string(),
  stderr: z.string(),
  /** Null when a signal ended the process. */
  exitCode: z.number().int().nullable(),
  /** Name of the signal that ended the process (e.g. SIGSEGV, SIGKILL), or null. */
  signal: z.string().nullable().default(null),
  /** Wall time in milliseconds. */
  timeMs: z.number().int(),
  /** CPU time (user + system) of the program and its children. */
  cpuTimeMs: z.number().int().default(0),
  /** Peak resident memory of the program, in KiB. */
  memoryKb: z.number().int().default(0),
  /** True when stdout/stderr were cut at the output limit. */
  truncated: z.boolean(),
});
export type StageOutput = z.infer<typeof stageOutputSchema>;

export const aiUsageSchema = z.object({
  requests: z.number().int(),
  /** Requests refused by the AI gateway's quotas (the program saw HTTP 429). */
  rejected: z.number().int(),
  promptTokens: z.number().int(),
  completionTokens: z.number().int(),
});
export type AiUsage = z.infer<typeof aiUsageSchema>;

/** A file the program left that matched one of the request's `outputs` globs. */
export const outputFileSchema = z.object({
  /** Relative to the work dir. */
  path: z.string(),
  size: z.number().int(),
  contentBase64: z.string(),
});
export type OutputFile = z.infer<typeof outputFileSchema>;

/** A finished job's result: the run stage's output plus the verdict. */
export const TEST_VERDICTS = [...VERDICTS, 'skipped'] as const;

/** One test's outcome in a job with `tests`. */
export const testResultSchema = stageOutputSchema.extend({
  /** Position in the request's `tests` (0-based, like the `tests.N` field paths of errors). */
  index: z.number().int(),
  /** `skipped`: not run, because the job's total test time budget could not hold its wall limit. */
  verdict: z.enum(TEST_VERDICTS),
  message: z.string().optional(),
  /** True when stdout or stderr are shown shorter than the program wrote them (judged on the whole). */
  outputClipped: z.boolean().optional(),
});
export type TestResult = z.infer<typeof testResultSchema>;

/**
 * A finished job's result: the run stage's output plus the verdict. With
 * `tests`, the run fields are the deciding test's (the first failing one, else
 * the last), except time and memory, which are the largest of all tests.
 */
export const jobResultSchema = stageOutputSchema.extend({
  verdict: z.enum(VERDICTS),
  /** Present for compiled languages: the compiler's own output. */
  compile: stageOutputSchema.optional(),
  /** Human-readable detail for verdicts that need one (e.g. which limit). */
  message: z.string().optional(),
  /** Calls the program made to the AI node, when it made any. */
  ai: aiUsageSchema.optional(),
  /** With `outputs` in the request: the matching regular files, in path order. */
  outputs: z.array(outputFileSchema).optional(),
  /** True when a matching file was left out (over 16 files or limits.outputFilesBytes, or not a readable regular file). */
  outputsTruncated: z.boolean().optional(),
  /** With `tests`: every test's outcome, in request order. */
  tests: z.array(testResultSchema).optional(),
  /** With `tests`: the index of the first failing test, whose verdict is the job's. */
  failedTest: z.number().int().optional(),
});
export type JobResult = z.infer<typeof jobResultSchema>;

/**
 * Why a job `failed`: a stable code and message for the user. The cause (an
 * AWS or Docker error text) never goes here: it names internals, so it goes
 * to the worker's log, found by the job id.
 */
export const JOB_ERROR_CODES = ['infrastructure_error'] as const;
export const jobErrorSchema = z.object({ code: z.enum(JOB_ERROR_CODES), message: z.string() });
export type JobError = z.infer<typeof jobErrorSchema>;

export const INFRASTRUCTURE_ERROR: JobError = {
  code: 'infrastructure_error',
  message: 'the platform could not run the job (not a fault of the program); submit it again, or quote the job id to support',
};

/** Records written before errors had codes hold the raw text: show them the stable error instead. */
const storedJobErrorSchema = z.preprocess((value) => (typeof value === 'string' ? INFRASTRUCTURE_ERROR : value), jobErrorSchema);

/** Where and how a job ran: `GET /jobs/{id}?include=log`. */
export const executionLogSchema = z.object({
  workerId: z.string(),
  containerId: z.string().optional(),
  isolation: z.enum(ISOLATION_TIERS),
  poolHit: z.boolean().optional(),
  /** Deliveries of the job's message so far (1 = no retry). */
  attempts: z.number().int(),
  acceptedAt: z.string(),
  receivedAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string(),
});
export type ExecutionLog = z.infer<typeof executionLogSchema>;

/** The job as stored (DynamoDB record, Redis hot state) and as `GET /jobs/{id}` shows it. */
export const jobRecordSchema = z.object({
  jobId: z.string(),
  tenantId: z.string(),
  status: z.enum(JOB_STATUSES),
  language: languageSchema,
  /** Internal: the input's S3 key (inputs larger than RECORD_INPUT_MAX_BYTES)… */
  inputKey: z.string().optional(),
  /** …or the input itself, kept in the record (never in the public view). */
  input: jobInputSchema.optional(),
  limits: jobLimitsSchema,
  isolation: z.enum(ISOLATION_TIERS).default('standard'),
  createdAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  result: jobResultSchema.optional(),
  /** Internal: where a result too large for the record is kept in S3 (instead of `result`). */
  resultKey: z.string().optional(),
  /** Why a job `failed` (infrastructure, not the user's program). */
  error: storedJobErrorSchema.optional(),
  attempts: z.number().int().optional(),
  workerId: z.string().optional(),
  executionLog: executionLogSchema.optional(),
});
export type JobRecord = z.infer<typeof jobRecordSchema>;

/** Whether the job has its outcome (completed, or failed for an infrastructure reason): nothing about it changes after. */
export const isFinished = (job: Pick<JobRecord, 'status'>): boolean => job.status === 'completed' || job.status === 'failed';

export const JOB_EVENT_TYPES = ['job.queued', 'job.running', 'job.completed', 'job.failed'] as const;
export const jobEventSchema = z.object({
  type: z.enum(JOB_EVENT_TYPES),
  jobId: z.string(),
  /** Unique per event: relays claim it so each event is pushed once. */
  eventId: z.string().optional(),
  job: jobRecordSchema,
});
export type JobEvent = z.infer<typeof jobEventSchema>;

/**
 * A piece of a streaming job's output, as the program wrote it: `seq` counts
 * from 1 per job without gaps, over both streams, so a client orders and
 * de-duplicates by it. Published on the job's event channel and kept in the
 * job's output log for late subscribers.
 */
export const jobOutputEventSchema = z.object({
  type: z.literal('job.output'),
  jobId: z.string(),
  seq: z.number().int().positive(),
  stream: z.enum(['stdout', 'stderr']),
  data: z.string(),
});
export type JobOutputEvent = z.infer<typeof jobOutputEventSchema>;

/**
 * The public view of a job: internal fields (tenant, S3 keys, worker) stay inside; the execution log on request.
 * A result kept in S3 that was not loaded (WebSocket pushes: too large for a frame) shows as `resultOmitted`.
 */
export function publicJobView(job: JobRecord, options: { includeLog?: boolean } = {}) {
  return {
    ...(options.includeLog && job.executionLog ? { executionLog: job.executionLog } : {}),
    jobId: job.jobId,
    status: job.status,
    language: job.language,
    ...(job.result ? { result: job.result } : {}),
    ...(!job.result && job.resultKey ? { resultOmitted: true } : {}),
    ...(job.error ? { error: job.error } : {}),
    limits: job.limits,
    isolation: job.isolation,
    createdAt: job.createdAt,
    ...(job.startedAt ? { startedAt: job.startedAt } : {}),
    ...(job.finishedAt ? { finishedAt: job.finishedAt } : {}),
  };
}
export type PublicJobView = ReturnType<typeof publicJobView>;

/** A job's event as a WebSocket message: what the relay pushes, and what `subscribe` answers for a job already finished. */
export function jobEventMessage(type: JobEvent['type'], job: JobRecord) {
  return { type, jobId: job.jobId, job: publicJobView(job) };
}
