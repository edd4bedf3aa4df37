/** The network, the data stores and the queue in the packaged template: what keeps them private, encrypted and bounded. */
import { beforeAll, describe, expect, test } from 'vitest';
import { MAX_LIMITS } from '../../core/limits.ts';
import { packagedTemplate, resource, resourcesOfType, type CfnTemplate } from './support/template.ts';

let template: CfnTemplate;
beforeAll(async () => {
  template = await packagedTemplate();
});

const ref = (id: string) => ({ Ref: id });
const getAtt = (id: string, attribute: string) => ({ 'Fn::GetAtt': [id, attribute] });

describe('network', () => {
  test('has public and private subnets in two different AZs, none handing out public addresses', () => {
    const subnets = resourcesOfType(template, 'AWS::EC2::Subnet');
    expect(subnets.map(([id]) => id).sort()).toEqual(['PrivateSubnetA', 'PrivateSubnetB', 'PublicSubnetA', 'PublicSubnetB']);
    expect(resource(template, 'PrivateSubnetA').Properties.AvailabilityZone).toEqual({ 'Fn::Select': [0, { 'Fn::GetAZs': '' }] });
    expect(resource(template, 'PrivateSubnetB').Properties.AvailabilityZone).toEqual({ 'Fn::Select': [1, { 'Fn::GetAZs': '' }] });
    for (const [, subnet] of subnets) expect(subnet.Properties.MapPublicIpOnLaunch).toBe(false);
  });

  test('sends private traffic to one NAT by default and a second only when asked', () => {
    expect(resource(template, 'PrivateDefaultRouteA').Properties.NatGatewayId).toEqual(ref('NatGatewayA'));
    expect(resource(template, 'PrivateDefaultRouteB').Properties.NatGatewayId).toEqual({ 'Fn::If': ['TwoNatGateways', ref('NatGatewayB'), ref('NatGatewayA')] });
    expect(resource(template, 'NatGatewayB').Condition).toBe('TwoNatGateways');
    expect(template.Conditions?.TwoNatGateways).toEqual({ 'Fn::Equals': ['1', '2'] });
  });

  test('reaches S3 and DynamoDB through gateway endpoints and SQS through a private interface endpoint', () => {
    const privateTables = [ref('PrivateRouteTableA'), ref('PrivateRouteTableB')];
    for (const id of ['S3GatewayEndpoint', 'DynamoDbGatewayEndpoint']) {
      expect(resource(template, id).Properties).toMatchObject({ VpcEndpointType: 'Gateway', RouteTableIds: privateTables });
    }
    expect(resource(template, 'SqsInterfaceEndpoint').Properties).toMatchObject({
      VpcEndpointType: 'Interface',
      PrivateDnsEnabled: true,
      SubnetIds: [ref('PrivateSubnetA'), ref('PrivateSubnetB')],
    });
  });

  test('runs every Lambda in the private subnets', () => {
    const functions = resourcesOfType(template, 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThanOrEqual(6);
    for (const [, fn] of functions) {
      expect(fn.Properties.VpcConfig).toEqual({ SecurityGroupIds: [ref('LambdaSecurityGroup')], SubnetIds: [ref('PrivateSubnetA'), ref('PrivateSubnetB')] });
      expect(fn.Properties.Runtime).toBe('nodejs22.x');
    }
  });

  test('lets only Lambdas and workers reach Redis, and nothing reach workers but metrics scraping from inside the VPC', () => {
    const redisIngress = resource(template, 'RedisSecurityGroup').Properties.SecurityGroupIngress;
    expect(redisIngress.map((r: { SourceSecurityGroupId: unknown; FromPort: number }) => [r.SourceSecurityGroupId, r.FromPort])).toEqual([
      [ref('LambdaSecurityGroup'), 6379],
      [ref('WorkerSecurityGroup'), 6379],
    ]);
    expect(resource(template, 'WorkerSecurityGroup').Properties.SecurityGroupIngress).toEqual([
      expect.objectContaining({ IpProtocol: 'tcp', FromPort: 9464, ToPort: 9464, CidrIp: '10.42.0.0/16' }),
    ]);
    expect(resource(template, 'LambdaSecurityGroup').Properties.SecurityGroupIngress).toBeUndefined();
    expect(resourcesOfType(template, 'AWS::EC2::SecurityGroupIngress')).toEqual([]);
  });
});

describe('data stores', () => {
  test('encrypt the code bucket with KMS, block public access, expire inputs and refuse plain HTTP', () => {
    const bucket = resource(template, 'CodeBucket').Properties;
    expect(bucket.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('aws:kms');
    expect(Object.values(bucket.PublicAccessBlockConfiguration)).toEqual([true, true, true, true]);
    expect(bucket.LifecycleConfiguration.Rules[0]).toMatchObject({ Status: 'Enabled', ExpirationInDays: 30 });
    const [statement] = resource(template, 'CodeBucketPolicy').Properties.PolicyDocument.Statement;
    expect(statement).toMatchObject({ Effect: 'Deny', Principal: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
  });

  test('keep job records with a TTL, a tenant + created-at index, point-in-time recovery and encryption, paid per request', () => {
    const jobs = resource(template, 'JobsTable').Properties;
    expect(jobs.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(jobs.GlobalSecondaryIndexes[0].KeySchema).toEqual([
      { AttributeName: 'tenantId', KeyType: 'HASH' },
      { AttributeName: 'createdAt', KeyType: 'RANGE' },
    ]);
    expect(jobs).toMatchObject({ BillingMode: 'PAY_PER_REQUEST', PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }, SSESpecification: { SSEEnabled: true } });
  });

  test('keep API keys by key hash, encrypted, recoverable, and give every function the table name', () => {
    const keys = resource(template, 'ApiKeysTable').Properties;
    expect(keys.KeySchema).toEqual([{ AttributeName: 'keyHash', KeyType: 'HASH' }]);
    expect(keys.AttributeDefinitions).toEqual([{ AttributeName: 'keyHash', AttributeType: 'S' }]);
    expect(keys).toMatchObject({ BillingMode: 'PAY_PER_REQUEST', PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }, SSESpecification: { SSEEnabled: true } });
    for (const [, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
      expect(fn.Properties.Environment.Variables.API_KEYS_TABLE).toEqual(ref('ApiKeysTable'));
    }
  });

  test('run Redis as a TLS-only, encrypted, multi-AZ primary and replica with failover and password users', () => {
    expect(resource(template, 'RedisReplicationGroup').Properties).toMatchObject({
      Engine: 'redis',
      NumCacheClusters: 2,
      MultiAZEnabled: true,
      AutomaticFailoverEnabled: true,
      TransitEncryptionEnabled: true,
      AtRestEncryptionEnabled: true,
      UserGroupIds: [ref('RedisUserGroup')],
    });
    expect(resource(template, 'RedisDefaultUser').Properties.AccessString).toMatch(/^off /);
    expect(resource(template, 'RedisAppUser').Properties.AuthenticationMode.Passwords[0]).toEqual({ 'Fn::Sub': '{{resolve:secretsmanager:${RedisAppUserSecret}:SecretString:password}}' });
  });

  test('keeps every secret out of Lambda environment variables: functions read the Redis password at cold start', () => {
    for (const [id, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
      const variables = fn.Properties.Environment.Variables;
      expect(JSON.stringify(variables), id).not.toMatch(/resolve:secretsmanager|resolve:ssm-secure|password/i);
      expect(variables.REDIS_URL['Fn::Sub'], id).toMatch(/^rediss:\/\/runplane@\$\{RedisReplicationGroup/);
      expect(variables.REDIS_SECRET_ID, id).toEqual(ref('RedisAppUserSecret'));
      expect(variables.RUNPLANE_API_KEYS, id).toBe('');
    }
    const secretsPolicy = resource(template, 'LambdaSecretsPolicy').Properties.PolicyDocument.Statement;
    expect(secretsPolicy[0]).toEqual({ Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: ref('RedisAppUserSecret') });
  });

  test('generates the callback signing key in Secrets Manager, readable by the workers alone', () => {
    expect(resource(template, 'CallbackSigningSecret').Properties.GenerateSecretString).toMatchObject({ PasswordLength: 48, ExcludePunctuation: true });
    const readers = JSON.stringify(template.Resources).match(/"Resource":\{"Ref":"CallbackSigningSecret"\}/g) ?? [];
    const workerStatements = (resource(template, 'WorkerRole').Properties.Policies as { PolicyDocument: { Statement: { Sid?: string; Resource: unknown }[] } }[]).flatMap((p) => p.PolicyDocument.Statement);
    expect(workerStatements.find((st) => st.Sid === 'ReadCallbackSigningKey')).toEqual({ Sid: 'ReadCallbackSigningKey', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: ref('CallbackSigningSecret') });
    expect(readers).toHaveLength(1);
  });
});

describe('jobs queue', () => {
  test('is encrypted, long-polled, and hides a job longer than the longest job can take', () => {
    const queue = resource(template, 'JobsQueue').Properties;
    const longestJobSeconds = (MAX_LIMITS.compileWallTimeMs + MAX_LIMITS.wallTimeMs) / 1000;
    expect(queue.VisibilityTimeout).toBeGreaterThan(longestJobSeconds + 30);
    expect(queue).toMatchObject({ SqsManagedSseEnabled: true, ReceiveMessageWaitTimeSeconds: 20 });
  });

  test('moves a job to the encrypted dead-letter queue after three receives, and only this queue may use it', () => {
    expect(resource(template, 'JobsQueue').Properties.RedrivePolicy).toEqual({ deadLetterTargetArn: getAtt('JobsDeadLetterQueue', 'Arn'), maxReceiveCount: 3 });
    const dlq = resource(template, 'JobsDeadLetterQueue').Properties;
    expect(dlq.SqsManagedSseEnabled).toBe(true);
    expect(dlq.RedriveAllowPolicy.redrivePermission).toBe('byQueue');
    expect(dlq.RedriveAllowPolicy.sourceQueueArns[0]['Fn::Sub']).toMatch(/:runplane-dev-jobs$/);
    expect(resource(template, 'JobsQueue').Properties.QueueName).toBe('runplane-dev-jobs');
  });
});
