/**
 * The packaged template against the current CloudFormation resource
 * specification (the database the CDK is generated from). npm's cfn-lint
 * carries a 2019 spec that rejects metric-math target tracking, so it is not used.
 */
import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';
import { beforeAll, describe, expect, test } from 'vitest';
import { validateTemplate } from './support/spec-validator.ts';
import { packagedTemplate, type CfnTemplate } from './support/template.ts';

const db = loadAwsServiceSpecSync();

describe('the packaged template', () => {
  let template: CfnTemplate;
  beforeAll(async () => {
    template = await packagedTemplate();
  });

  test('uses only resource types, properties and value types that the specification defines, with every required property', () => {
    expect(validateTemplate(db, template)).toEqual([]);
  });

  test('is the whole stack, not an empty shell (the check above saw every kind of resource)', () => {
    const types = new Set(Object.values(template.Resources).map((r) => r.Type));
    for (const type of ['AWS::EC2::VPC', 'AWS::ElastiCache::ReplicationGroup', 'AWS::AutoScaling::AutoScalingGroup', 'AWS::AutoScaling::ScalingPolicy', 'AWS::Lambda::Function', 'AWS::ApiGatewayV2::Api']) {
      expect(types).toContain(type);
    }
  });
});

describe('the specification check', () => {
  const template = (resources: CfnTemplate['Resources'], conditions = {}): CfnTemplate => ({ Resources: resources, Conditions: conditions });
  const messages = (t: CfnTemplate) => validateTemplate(db, t).map((p) => `${p.path}: ${p.message}`);

  test('reports a property the resource type does not have', () => {
    const t = template({ Q: { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeoutSeconds: 30 } } });
    expect(messages(t)).toEqual(['Resources.Q.Properties.VisibilityTimeoutSeconds: unknown property']);
  });

  test('reports a missing required property, also inside nested types', () => {
    const t = template({
      P: { Type: 'AWS::AutoScaling::ScalingPolicy', Properties: { AutoScalingGroupName: 'g', TargetTrackingConfiguration: { DisableScaleIn: true } } },
    });
    expect(messages(t)).toEqual(['Resources.P.Properties.TargetTrackingConfiguration: missing required property TargetValue']);
  });

  test('reports a value of the wrong type and accepts numbers written as strings', () => {
    const wrong = template({ Q: { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeout: 'ninety', DelaySeconds: '5' } } });
    expect(messages(wrong)).toEqual(['Resources.Q.Properties.VisibilityTimeout: expected a integer, got "ninety"']);
  });

  test('reports an unknown resource type, an attribute the target lacks and a reference to nothing', () => {
    const t = template({
      Q: { Type: 'AWS::SQS::Queue' },
      X: { Type: 'AWS::SQS::Queueue' },
      P: { Type: 'AWS::SSM::Parameter', Properties: { Type: 'String', Value: { 'Fn::GetAtt': ['Q', 'Url'] }, Name: { 'Fn::Sub': '${Nothing}-x' } } },
    });
    expect(messages(t)).toEqual([
      'Resources.X: unknown resource type AWS::SQS::Queueue',
      'Resources.P.Properties.Value: AWS::SQS::Queue has no attribute Url',
      'Resources.P.Properties.Name: reference to unknown Nothing',
    ]);
  });

  test('checks both branches of Fn::If and the condition it names', () => {
    const t = template({ Q: { Type: 'AWS::SQS::Queue', Properties: { DelaySeconds: { 'Fn::If': ['Nope', 'soon', { Ref: 'AWS::NoValue' }] } } } });
    expect(messages(t)).toEqual(['Resources.Q.Properties.DelaySeconds: Fn::If names unknown condition Nope', 'Resources.Q.Properties.DelaySeconds: expected a integer, got "soon"']);
  });
});
