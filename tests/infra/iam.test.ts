/**
 * IAM in the packaged template: one role per function, each with only the
 * actions its code calls (pinned here, so widening one is a visible change),
 * no wildcard actions, "*" resources only where AWS allows nothing narrower,
 * and Lambda permissions that only this stack's APIs can use.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { packagedTemplate, resource, resourcesOfType, type CfnTemplate } from './support/template.ts';

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

let template: CfnTemplate;
beforeAll(async () => {
  template = await packagedTemplate();
});

/** Actions that cannot be scoped to a resource we own (Lambda's VPC network interfaces). */
const UNSCOPABLE_ACTIONS = new Set([
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
]);

const LOGS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
const SUBMIT = ['s3:PutObject', 's3:DeleteObject', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'sqs:SendMessage', 'sqs:GetQueueAttributes'];
const EXPECTED_ACTIONS: Record<string, string[]> = {
  RunFunctionRole: [...LOGS, 'dynamodb:GetItem', ...SUBMIT, 's3:GetObject'],
  GetJobFunctionRole: [...LOGS, 'dynamodb:GetItem', 's3:GetObject'],
  LanguagesFunctionRole: [...LOGS, 'dynamodb:GetItem'],
  WorkersFunctionRole: [...LOGS, 'dynamodb:GetItem'],
  Judge0FunctionRole: [...LOGS, 'dynamodb:GetItem', ...SUBMIT, 's3:GetObject'],
  PistonFunctionRole: [...LOGS, 'dynamodb:GetItem', ...SUBMIT, 's3:GetObject'],
  WsConnectFunctionRole: [...LOGS, 'dynamodb:GetItem'],
  WsDisconnectFunctionRole: [...LOGS],
  WsDefaultFunctionRole: [...LOGS, 'dynamodb:GetItem', ...SUBMIT, 'execute-api:ManageConnections'],
  WorkerRole: [
    'sqs:ReceiveMessage',
    'sqs:DeleteMessage',
    'sqs:ChangeMessageVisibility',
    'sqs:SendMessage',
    'dynamodb:GetItem',
    'dynamodb:UpdateItem',
    's3:GetObject',
    's3:PutObject',
    's3:DeleteObject',
    'execute-api:ManageConnections',
    'secretsmanager:GetSecretValue',
    'autoscaling:CompleteLifecycleAction',
    'autoscaling:RecordLifecycleActionHeartbeat',
  ],
};

const actions = (s: Statement) => [s.Action].flat();
const inlineStatements = (roleId: string): Statement[] =>
  resource(template, roleId).Properties.Policies.flatMap((p: { PolicyDocument: { Statement: Statement[] } }) => p.PolicyDocument.Statement);

/** A statement, or both branches of an `Fn::If` choosing one (AWS::NoValue dropped): every statement that may be deployed. */
function deployable(statement: Statement | { 'Fn::If': [string, unknown, unknown] }): Statement[] {
  if ('Fn::If' in statement) return statement['Fn::If'].slice(1).filter((s): s is Statement => typeof s === 'object' && s !== null && 'Effect' in s);
  return [statement];
}

function allIdentityStatements(): [string, Statement][] {
  const out: [string, Statement][] = [];
  for (const [id] of resourcesOfType(template, 'AWS::IAM::Role')) for (const s of inlineStatements(id)) out.push([id, s]);
  for (const type of ['AWS::IAM::ManagedPolicy', 'AWS::IAM::Policy']) {
    for (const [id, policy] of resourcesOfType(template, type)) for (const s of policy.Properties.PolicyDocument.Statement) out.push(...deployable(s).map((d): [string, Statement] => [id, d]));
  }
  return out;
}

describe('IAM', () => {
  test('gives each function a role of its own', () => {
    const roles = resourcesOfType(template, 'AWS::Lambda::Function').map(([, fn]) => fn.Properties.Role['Fn::GetAtt'][0] as string);
    expect(roles.length).toBeGreaterThanOrEqual(6);
    expect(new Set(roles).size).toBe(roles.length);
    expect(template.Resources.IamRoleLambdaExecution).toBeUndefined();
  });

  test('grants each role exactly the actions its code uses', () => {
    for (const [roleId, expected] of Object.entries(EXPECTED_ACTIONS)) {
      const granted = [...new Set(inlineStatements(roleId).flatMap(actions))].sort();
      expect(granted, roleId).toEqual([...new Set(expected)].sort());
    }
  });

  test('never uses a wildcard in an action, nor "*" as the resource of an action that can be scoped', () => {
    const statements = allIdentityStatements();
    expect(statements.length).toBeGreaterThan(20);
    for (const [id, statement] of statements) {
      expect(statement.Effect, id).toBe('Allow');
      for (const action of actions(statement)) expect(action, `${id} ${action}`).not.toContain('*');
      const resources = [statement.Resource].flat();
      if (resources.includes('*')) for (const action of actions(statement)) expect(UNSCOPABLE_ACTIONS, `${id} ${action} on "*"`).toContain(action);
    }
  });

  test('lets each function write only to its own log group', () => {
    for (const [, fn] of resourcesOfType(template, 'AWS::Lambda::Function')) {
      const roleId = fn.Properties.Role['Fn::GetAtt'][0] as string;
      const logStatement = inlineStatements(roleId).find((s) => actions(s).includes('logs:PutLogEvents'))!;
      expect((logStatement.Resource as { 'Fn::Sub': string })['Fn::Sub']).toMatch(new RegExp(`:log-group:/aws/lambda/${fn.Properties.FunctionName}:\\*$`));
    }
  });

  test('lets only Lambda assume the function roles and only EC2 the worker role', () => {
    for (const roleId of Object.keys(EXPECTED_ACTIONS)) {
      const principal = roleId === 'WorkerRole' ? 'ec2.amazonaws.com' : 'lambda.amazonaws.com';
      expect(resource(template, roleId).Properties.AssumeRolePolicyDocument.Statement).toEqual([{ Effect: 'Allow', Principal: { Service: principal }, Action: 'sts:AssumeRole' }]);
    }
  });

  test('lets only this stack’s APIs invoke the functions (in place of the excluded ct-lambda-pr-2)', () => {
    const permissions = resourcesOfType(template, 'AWS::Lambda::Permission');
    expect(permissions.length).toBeGreaterThanOrEqual(6);
    for (const [id, permission] of permissions) {
      expect(permission.Properties.Principal, id).toBe('apigateway.amazonaws.com');
      const sourceArn = JSON.stringify(permission.Properties.SourceArn ?? null);
      expect(sourceArn, id).toMatch(/"Ref":"(HttpApi|WebsocketsApi)"|\$\{(HttpApi|WebsocketsApi)\}/);
      expect(sourceArn, id).toContain('AWS::AccountId');
    }
  });
});
