/** Logs, alarms and metrics scraping in the packaged template and infra/prometheus.yml. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { packagedTemplate, resource, resourcesOfType, ROOT, type CfnTemplate } from './support/template.ts';

let template: CfnTemplate;
beforeAll(async () => {
  template = await packagedTemplate();
});

const alarmOn = (metricName: string) =>
  resourcesOfType(template, 'AWS::CloudWatch::Alarm').find(([, alarm]) => alarm.Properties.MetricName === metricName)?.[1].Properties;

describe('observability', () => {
  test('bounds the retention of every log group: Lambdas, both APIs and Redis', () => {
    const groups = resourcesOfType(template, 'AWS::Logs::LogGroup');
    expect(groups.map(([id]) => id)).toEqual(expect.arrayContaining(['RunLogGroup', 'HttpApiLogGroup', 'WebsocketsLogGroup', 'RedisSlowLogGroup']));
    for (const [id, group] of groups) expect(Number(group.Properties.RetentionInDays), id).toBe(14);
  });

  test('writes access logs for the HTTP and the WebSocket API', () => {
    expect(resource(template, 'HttpApiStage').Properties.AccessLogSettings.DestinationArn).toEqual({ 'Fn::GetAtt': ['HttpApiLogGroup', 'Arn'] });
    expect(resource(template, 'WebsocketsDeploymentStage').Properties.AccessLogSettings.DestinationArn).toEqual({ 'Fn::GetAtt': ['WebsocketsLogGroup', 'Arn'] });
  });

  test('alarms when any job reaches the dead-letter queue', () => {
    const dlq = resourcesOfType(template, 'AWS::CloudWatch::Alarm').find(([id]) => id === 'DeadLetterQueueNotEmptyAlarm')![1].Properties;
    expect(dlq).toMatchObject({ MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
    expect(dlq.Dimensions).toEqual([{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['JobsDeadLetterQueue', 'QueueName'] } }]);
  });

  test('alarms when the oldest queued job has waited too long, and on API 5xx', () => {
    expect(alarmOn('ApproximateAgeOfOldestMessage')).toMatchObject({ Threshold: 300, Dimensions: [{ Value: { 'Fn::GetAtt': ['JobsQueue', 'QueueName'] } }] });
    expect(alarmOn('5xx')).toMatchObject({ Namespace: 'AWS/ApiGateway', Dimensions: [{ Name: 'ApiId', Value: { Ref: 'HttpApi' } }] });
  });

  test('sends every alarm, and its recovery, to the alarm topic', () => {
    for (const [id, alarm] of resourcesOfType(template, 'AWS::CloudWatch::Alarm')) {
      expect(alarm.Properties, id).toMatchObject({ ActionsEnabled: true, AlarmActions: [{ Ref: 'AlarmTopic' }], OKActions: [{ Ref: 'AlarmTopic' }] });
    }
  });

  test('documents a Prometheus scrape of the port the workers serve and their security group admits', () => {
    const scrape = readFileSync(join(ROOT, 'infra/prometheus.yml'), 'utf8');
    const port = Number(scrape.match(/^\s+port: (\d+)$/m)![1]);
    expect(resource(template, 'WorkerSecurityGroup').Properties.SecurityGroupIngress[0].FromPort).toBe(port);
    const [header] = resource(template, 'WorkerLaunchTemplate').Properties.LaunchTemplateData.UserData['Fn::Base64']['Fn::Join'][1];
    expect(header['Fn::Sub']).toContain(`export METRICS_PORT='${port}'`);
    expect(scrape).toContain(`values: [${resource(template, 'WorkerGroup').Properties.AutoScalingGroupName}]`);
  });
});
