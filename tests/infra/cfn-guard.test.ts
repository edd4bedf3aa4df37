/**
 * The packaged template passes every AWS Control Tower proactive control
 * except the few that infra/cfn-guard-exclusions.json leaves out, each with
 * its reason (the rules ignore resource-level suppression metadata).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { controlTowerRules, loadExclusions, runGuard } from './support/cfn-guard.ts';
import { packagedTemplatePath } from './support/template.ts';

describe('the Control Tower rule check', () => {
  let templateFile: string;
  beforeAll(async () => {
    templateFile = await packagedTemplatePath();
  });

  test('passes the packaged template through every rule that is not excluded', () => {
    const excluded = new Set(loadExclusions().map((e) => e.rule));
    const kept = [...controlTowerRules().keys()].filter((id) => !excluded.has(id));
    const result = runGuard(templateFile, kept);
    expect(result.failedRules, result.output.slice(0, 4000)).toEqual([]);
    expect(result.exitCode).toBe(0);
    expect(result.rulesEvaluated).toBeGreaterThan(200);
  });

  test('leaves out only rules that exist, once each, each with a reason', () => {
    const all = controlTowerRules();
    const exclusions = loadExclusions();
    for (const { rule, reason } of exclusions) {
      expect(all.has(rule), `${rule} is not a Control Tower rule`).toBe(true);
      expect(reason.length, `${rule} needs a reason`).toBeGreaterThan(40);
    }
    expect(new Set(exclusions.map((e) => e.rule)).size).toBe(exclusions.length);
  });

  test('leaves out only rules the template would fail (no stale exclusions)', () => {
    const result = runGuard(templateFile, loadExclusions().map((e) => e.rule));
    expect(result.failedRules).toEqual(loadExclusions().map((e) => e.rule).sort());
  });

  test('fails a template with an unencrypted queue that has no dead-letter queue', () => {
    const dir = mkdtempSync(join(tmpdir(), 'runplane-guard-bad-'));
    const bad = join(dir, 'template.json');
    writeFileSync(bad, JSON.stringify({ Resources: { Queue: { Type: 'AWS::SQS::Queue', Properties: { SqsManagedSseEnabled: false } } } }));
    const result = runGuard(bad, ['ct-sqs-pr-1', 'ct-sqs-pr-2']);
    rmSync(dir, { recursive: true, force: true });
    expect(result.exitCode).toBe(19);
    expect(result.failedRules).toEqual(['ct-sqs-pr-1', 'ct-sqs-pr-2']);
  });
});
