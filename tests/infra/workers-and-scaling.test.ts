/** The worker fleet and its scaling policy in the packaged template, cross-checked against the host script and the modelled policy. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { CPU_TARGET_TRACKING, DEFAULT_TARGET_TRACKING } from '../../scaling/policy/target-tracking.ts';
import { packagedTemplate, resource, ROOT, type CfnTemplate } from './support/template.ts';

let template: CfnTemplate;
beforeAll(async () => {
  template = await packagedTemplate();
});

const hostScript = readFileSync(join(ROOT, 'infra/worker-host.sh'), 'utf8');
const launchData = () => resource(template, 'WorkerLaunchTemplate').Properties.LaunchTemplateData;
const group = () => resource(template, 'WorkerGroup').Properties;

describe('worker launch template', () => {
  test('requires IMDSv2 tokens with a single hop, so containers cannot reach the metadata service', () => {
    expect(launchData().MetadataOptions).toEqual({ HttpEndpoint: 'enabled', HttpTokens: 'required', HttpPutResponseHopLimit: 1 });
  });

  test('encrypts the EBS volume, gives no public address and uses the worker instance profile', () => {
    const data = launchData();
    expect(data.BlockDeviceMappings[0].Ebs).toMatchObject({ Encrypted: true, VolumeType: 'gp3' });
    expect(data.NetworkInterfaces[0]).toMatchObject({ AssociatePublicIpAddress: false, Groups: [{ Ref: 'WorkerSecurityGroup' }] });
    expect(data.IamInstanceProfile).toEqual({ Arn: { 'Fn::GetAtt': ['WorkerInstanceProfile', 'Arn'] } });
  });

  test('runs infra/worker-host.sh unchanged as UserData, after exporting every variable the script requires', () => {
    const [header, script] = launchData().UserData['Fn::Base64']['Fn::Join'][1];
    expect(script).toBe(hostScript);
    const exported = [...header['Fn::Sub'].matchAll(/^export (\w+)=/gm)].map((m: RegExpMatchArray) => m[1]);
    const required = hostScript.match(/REQUIRED_VARS=\(([^)]*)\)/)![1]!.split(/\s+/).filter(Boolean);
    expect(required.length).toBeGreaterThan(10);
    expect(exported).toEqual(expect.arrayContaining(required));
    expect(header['Fn::Sub']).toMatch(/^#!\/bin\/bash\n/);
  });

  test('keeps UserData under EC2’s 16 KB limit, with room for the resolved names', () => {
    const [header, script] = launchData().UserData['Fn::Base64']['Fn::Join'][1];
    // Each ${…} in the header resolves to a name, ARN or URL of at most ~200 characters.
    const references = (header['Fn::Sub'].match(/\$\{/g) ?? []).length;
    expect(Buffer.byteLength(header['Fn::Sub'] + script) + references * 200).toBeLessThan(16 * 1024);
  });
});

describe('worker Auto Scaling group', () => {
  test('spreads instances over the two private subnets with min and max from parameters and no fixed desired capacity', () => {
    expect(group()).toMatchObject({
      VPCZoneIdentifier: [{ Ref: 'PrivateSubnetA' }, { Ref: 'PrivateSubnetB' }],
      MinSize: '1',
      MaxSize: '10',
      DesiredCapacity: { 'Fn::If': ['HasDesiredWorkers', '', { Ref: 'AWS::NoValue' }] },
    });
  });

  test('holds a new instance out of service until it reports ready, and lets a leaving one drain first', () => {
    const hooks = Object.fromEntries(group().LifecycleHookSpecificationList.map((h: { LifecycleTransition: string }) => [h.LifecycleTransition, h]));
    expect(hooks['autoscaling:EC2_INSTANCE_LAUNCHING']).toMatchObject({ LifecycleHookName: 'runplane-launch', DefaultResult: 'ABANDON' });
    const drain = hooks['autoscaling:EC2_INSTANCE_TERMINATING'];
    expect(drain).toMatchObject({ LifecycleHookName: 'runplane-drain', DefaultResult: 'CONTINUE' });
    // The hook must outlast systemd's stop timeout, or the instance goes mid-drain.
    const unit = readFileSync(join(ROOT, 'infra/systemd/runplane-worker.service'), 'utf8');
    const stopTimeout = Number(unit.match(/^TimeoutStopSec=(\d+)$/m)![1]);
    expect(drain.HeartbeatTimeout).toBeGreaterThan(stopTimeout);
  });

  test('names the hooks the way the host script completes them', () => {
    const [header] = launchData().UserData['Fn::Base64']['Fn::Join'][1];
    expect(header['Fn::Sub']).toContain("export RUNPLANE_LAUNCH_HOOK='runplane-launch'");
    expect(header['Fn::Sub']).toContain("export RUNPLANE_DRAIN_HOOK='runplane-drain'");
    expect(header['Fn::Sub']).toContain(`export RUNPLANE_ASG_NAME='${group().AutoScalingGroupName}'`);
  });

  test('keeps a warm pool of stopped, initialised instances when the warmPool parameter is on', () => {
    expect(resource(template, 'WorkerWarmPool')).toMatchObject({ Condition: 'UseWarmPool', Properties: { PoolState: 'Stopped', AutoScalingGroupName: { Ref: 'WorkerGroup' } } });
    expect(template.Conditions?.UseWarmPool).toEqual({ 'Fn::Equals': ['true', 'true'] });
  });

  test('publishes GroupInServiceInstances every minute, which the scaling metric divides by', () => {
    expect(group().MetricsCollection[0]).toMatchObject({ Granularity: '1Minute', Metrics: expect.arrayContaining(['GroupInServiceInstances']) });
  });
});

describe('worker scaling policy', () => {
  const tracking = () => resource(template, 'WorkerBacklogScalingPolicy').Properties.TargetTrackingConfiguration;

  test('tracks a backlog of 5 messages per instance, the target the simulated policy uses', () => {
    expect(resource(template, 'WorkerBacklogScalingPolicy').Properties.PolicyType).toBe('TargetTrackingScaling');
    expect(Number(tracking().TargetValue)).toBe(5);
    expect(DEFAULT_TARGET_TRACKING.target).toBe(5);
  });

  test('computes BacklogPerInstance with metric math: visible messages over in-service instances', () => {
    const metrics = tracking().CustomizedMetricSpecification.Metrics;
    const byId = Object.fromEntries(metrics.map((m: { Id: string }) => [m.Id, m]));
    expect(byId.visible.MetricStat).toEqual({
      Stat: 'Sum',
      Metric: { Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['JobsQueue', 'QueueName'] } }] },
    });
    expect(byId.inService.MetricStat.Metric).toEqual({
      Namespace: 'AWS/AutoScaling',
      MetricName: 'GroupInServiceInstances',
      Dimensions: [{ Name: 'AutoScalingGroupName', Value: { Ref: 'WorkerGroup' } }],
    });
    expect(byId.backlogPerInstance).toMatchObject({ Expression: 'IF(inService > 0, visible / inService, visible)', ReturnData: true });
    // Exactly one query may return data: the one the policy tracks.
    expect(metrics.filter((m: { ReturnData: boolean }) => m.ReturnData)).toHaveLength(1);
  });

  test('is paired with CPU target tracking at the target the simulated combination uses, so busy instances stay', () => {
    const cpu = resource(template, 'WorkerCpuScalingPolicy');
    expect(cpu).toMatchObject({ Condition: 'UseCpuPolicy', Properties: { PolicyType: 'TargetTrackingScaling', AutoScalingGroupName: { Ref: 'WorkerGroup' } } });
    expect(cpu.Properties.TargetTrackingConfiguration.PredefinedMetricSpecification).toEqual({ PredefinedMetricType: 'ASGAverageCPUUtilization' });
    expect(Number(cpu.Properties.TargetTrackingConfiguration.TargetValue)).toBe(CPU_TARGET_TRACKING.target);
    expect(template.Conditions?.UseCpuPolicy).toEqual({ 'Fn::Not': [{ 'Fn::Equals': ['70', '0'] }] });
  });
});
