/**
 * The CloudFormation template that `serverless package --stage dev` builds,
 * offline and without AWS credentials. The first test file of a vitest run to
 * ask packages it (≈3 s); the others wait for and read the same file, so a
 * run packages once, and every run packages afresh.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../../..');

export type CfnValue = unknown;
export interface CfnResource {
  Type: string;
  Properties?: Record<string, CfnValue>;
  Condition?: string;
  DependsOn?: string | string[];
}
export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: CfnValue }>;
  Conditions?: Record<string, CfnValue>;
  Parameters?: Record<string, CfnValue>;
}

const TEMPLATE_FILE = 'cloudformation-template-update-stack.json';
const WAIT_MS = 120_000;

/** Identifies this vitest run: its main process (the workers' parent) and when that process started. */
function runId(): string {
  const stat = readFileSync(`/proc/${process.ppid}/stat`, 'utf8');
  const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  return `${process.ppid}-${startTime}`;
}

/** What the template is built from: a change to any of these packages it anew even within one run. */
function inputsHash(): string {
  const hash = createHash('sha256');
  const infra = readdirSync(join(ROOT, 'infra'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  const files = ['serverless.yml', 'package-lock.json', ...infra.map((e) => join(e.parentPath, e.name).slice(ROOT.length + 1))].sort();
  for (const file of files) hash.update(file).update(readFileSync(join(ROOT, file)));
  return hash.digest('hex').slice(0, 12);
}

function removeStaleRuns(): void {
  const anHourAgo = Date.now() - 3_600_000;
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith('runplane-template-')) continue;
    const path = join(tmpdir(), name);
    if (statSync(path).mtimeMs < anHourAgo) rmSync(path, { recursive: true, force: true });
  }
}

function runPackage(outDir: string): void {
  try {
    execFileSync(process.execPath, [join(ROOT, 'node_modules/serverless/bin/serverless.js'), 'package', '--stage', 'dev', '--package', outDir], {
      cwd: ROOT,
      // Its own esbuild folder: a running `npm start` keeps using .esbuild undisturbed.
      env: { ...process.env, RUNPLANE_ESBUILD_WORK_FOLDER: `node_modules/.cache/runplane-esbuild-${process.pid}`, RUNPLANE_API_KEYS: '' },
      stdio: 'pipe',
      timeout: WAIT_MS,
    });
  } catch (error) {
    const e = error as { stdout?: Buffer; stderr?: Buffer; message: string };
    throw new Error(`serverless package failed: ${e.message}\n${e.stdout?.toString() ?? ''}${e.stderr?.toString() ?? ''}`);
  }
  // The function zips are not needed by the checks; keep the temp dir small.
  for (const name of readdirSync(outDir)) if (name.endsWith('.zip')) rmSync(join(outDir, name));
}

async function waitFor(file: string, failureFile: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!existsSync(file)) {
    if (existsSync(failureFile)) throw new Error(readFileSync(failureFile, 'utf8'));
    if (Date.now() > deadline) throw new Error(`timed out waiting for another test file to package the template (${file})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Path of the packaged template for this run; packages it if no other test file has. */
export async function packagedTemplatePath(): Promise<string> {
  const dir = join(tmpdir(), `runplane-template-${runId()}-${inputsHash()}`);
  const file = join(dir, TEMPLATE_FILE);
  const failureFile = `${dir}.failed`;
  try {
    mkdirSync(`${dir}.lock`, { recursive: false });
  } catch {
    await waitFor(file, failureFile);
    return file;
  }
  try {
    removeStaleRuns();
    runPackage(`${dir}.partial`);
    renameSync(`${dir}.partial`, dir);
  } catch (error) {
    writeFileSync(failureFile, (error as Error).message);
    throw error;
  }
  return file;
}

export async function packagedTemplate(): Promise<CfnTemplate> {
  return JSON.parse(readFileSync(await packagedTemplatePath(), 'utf8')) as CfnTemplate;
}

/** The resource with this logical id, failing clearly when it is missing. */
export function resource(template: CfnTemplate, logicalId: string): CfnResource & { Properties: Record<string, any> } {
  const found = template.Resources[logicalId];
  if (!found) throw new Error(`template has no resource ${logicalId}`);
  return { ...found, Properties: (found.Properties ?? {}) as Record<string, any> };
}

export function resourcesOfType(template: CfnTemplate, type: string): [string, CfnResource & { Properties: Record<string, any> }][] {
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === type)
    .map(([id, r]) => [id, { ...r, Properties: (r.Properties ?? {}) as Record<string, any> }]);
}
