/**
 * Runs the AWS Control Tower proactive controls (cfn-guard 3 rules) against a
 * template with the cfn-guard binary that @cdklabs/cdk-validator-cfnguard
 * ships, leaving out the rules listed in infra/cfn-guard-exclusions.json.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { ROOT } from './template.ts';

const PACKAGE = join(ROOT, 'node_modules/@cdklabs/cdk-validator-cfnguard');
const RULES = join(PACKAGE, 'rules/control-tower/cfn-guard');

export interface Exclusion {
  rule: string;
  reason: string;
}

export function guardBinary(): string {
  const os = process.platform === 'darwin' ? 'macos' : 'ubuntu';
  const arch = process.arch === 'arm64' ? 'aarch64' : 'x86_64';
  return join(PACKAGE, 'bin', os, arch, 'cfn-guard');
}

/** Every rule file in the packs, by id (`ct-s3-pr-9`) → path. */
export function controlTowerRules(): Map<string, string> {
  const rules = new Map<string, string>();
  for (const service of readdirSync(RULES)) {
    for (const file of readdirSync(join(RULES, service))) {
      if (file.endsWith('.guard')) rules.set(basename(file, '.guard'), join(RULES, service, file));
    }
  }
  return rules;
}

export function loadExclusions(): Exclusion[] {
  return (JSON.parse(readFileSync(join(ROOT, 'infra/cfn-guard-exclusions.json'), 'utf8')) as { excluded: Exclusion[] }).excluded;
}

export interface GuardResult {
  /** cfn-guard's exit code: 0 all passed, 19 some rule failed; anything else is an error. */
  exitCode: number | null;
  /** Ids of the rules that failed (`ct-sqs-pr-2`). */
  failedRules: string[];
  rulesEvaluated: number;
  output: string;
}

export function runGuard(templateFile: string, ruleIds: Iterable<string>): GuardResult {
  const all = controlTowerRules();
  const dir = mkdtempSync(join(tmpdir(), 'runplane-guard-'));
  try {
    let count = 0;
    for (const id of ruleIds) {
      const path = all.get(id);
      if (!path) throw new Error(`no Control Tower rule ${id}`);
      copyFileSync(path, join(dir, `${id}.guard`));
      count++;
    }
    const run = spawnSync(guardBinary(), ['validate', '--data', templateFile, '--rules', dir, '--show-summary', 'fail', '--output-format', 'single-line-summary'], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    if (run.error) throw new Error(`cannot run cfn-guard (${guardBinary()}): ${run.error.message}`);
    const output = `${run.stdout}${run.stderr}`;
    const failedRules = [...new Set([...output.matchAll(/^(ct-[a-z0-9-]+)\.guard\/\S+\s+FAIL$/gm)].map((m) => m[1]!))].sort();
    return { exitCode: run.status, failedRules, rulesEvaluated: count, output };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
