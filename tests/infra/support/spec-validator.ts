/**
 * Checks a CloudFormation template against the current resource specification
 * (@aws-cdk/aws-service-spec, the database the CDK generates its L1 classes
 * from): every resource type and property exists, required properties are
 * there, and values have the specified types. Values computed by intrinsic
 * functions are accepted as CloudFormation would (it resolves them at deploy
 * time), but what they point at is checked: Ref and Fn::Sub name a resource,
 * parameter or pseudo parameter, Fn::GetAtt an attribute the type has, Fn::If
 * a condition; both branches of Fn::If are checked against the property type.
 */
import type { PropertyType, SpecDatabase, TypeDefinition } from '@aws-cdk/service-spec-types';
import type { CfnTemplate } from './template.ts';

export interface SpecProblem {
  path: string;
  message: string;
}

const PSEUDO_PARAMETERS = new Set(['AWS::AccountId', 'AWS::NotificationARNs', 'AWS::NoValue', 'AWS::Partition', 'AWS::Region', 'AWS::StackId', 'AWS::StackName', 'AWS::URLSuffix']);
const INTRINSICS = new Set(['Ref', 'Fn::GetAtt', 'Fn::Sub', 'Fn::Join', 'Fn::Select', 'Fn::If', 'Fn::GetAZs', 'Fn::Base64', 'Fn::Cidr', 'Fn::FindInMap', 'Fn::ImportValue', 'Fn::Split', 'Fn::Length', 'Fn::ToJsonString']);
const NUMERIC = /^-?\d+(\.\d+)?$/;

type Json = unknown;
const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);
const intrinsicName = (v: Json): string | undefined => {
  if (!isObject(v)) return undefined;
  const keys = Object.keys(v);
  return keys.length === 1 && INTRINSICS.has(keys[0]!) ? keys[0] : undefined;
};

export class SpecValidator {
  private readonly problems: SpecProblem[] = [];

  constructor(
    private readonly db: SpecDatabase,
    private readonly template: CfnTemplate,
  ) {}

  validate(): SpecProblem[] {
    for (const [id, resource] of Object.entries(this.template.Resources)) this.validateResource(id, resource);
    for (const [id, output] of Object.entries(this.template.Outputs ?? {})) this.checkReferences(output.Value, `Outputs.${id}`);
    return this.problems;
  }

  private report(path: string, message: string): void {
    this.problems.push({ path, message });
  }

  private validateResource(id: string, resource: CfnTemplate['Resources'][string]): void {
    const path = `Resources.${id}`;
    if (resource.Condition && !(resource.Condition in (this.template.Conditions ?? {}))) this.report(path, `unknown condition ${resource.Condition}`);
    for (const dep of [resource.DependsOn ?? []].flat()) if (!(dep in this.template.Resources)) this.report(path, `DependsOn names unknown resource ${dep}`);
    if (resource.Type.startsWith('Custom::')) return;
    const spec = this.db.lookup('resource', 'cloudFormationType', 'equals', resource.Type)[0];
    if (!spec) return this.report(path, `unknown resource type ${resource.Type}`);
    this.checkObject(resource.Properties ?? {}, spec.properties, `${path}.Properties`);
  }

  private checkObject(value: Record<string, Json>, properties: TypeDefinition['properties'], path: string): void {
    for (const [name, property] of Object.entries(properties)) {
      if (property.required && !(name in value)) this.report(path, `missing required property ${name}`);
    }
    for (const [name, child] of Object.entries(value)) {
      const property = properties[name];
      if (!property) this.report(`${path}.${name}`, 'unknown property');
      else this.checkValue(child, property.type, `${path}.${name}`);
    }
  }

  /** Returns silently when `value` fits `type`; otherwise reports where and why. */
  private checkValue(value: Json, type: PropertyType, path: string): void {
    const intrinsic = intrinsicName(value);
    if (intrinsic) return this.checkIntrinsic(intrinsic, value as Record<string, Json>, type, path);
    const mismatch = (expected: string) => this.report(path, `expected ${expected}, got ${JSON.stringify(value)?.slice(0, 80)}`);
    switch (type.type) {
      case 'string':
        if (typeof value === 'object') return mismatch('a string');
        if (type.allowedValues && !type.allowedValues.includes(String(value))) return mismatch(`one of ${type.allowedValues.join(', ')}`);
        return;
      case 'number':
      case 'integer': {
        // CloudFormation accepts numbers written as strings.
        const n = typeof value === 'string' && NUMERIC.test(value) ? Number(value) : value;
        if (typeof n !== 'number') return mismatch(`a ${type.type}`);
        if (type.type === 'integer' && !Number.isInteger(n)) return mismatch('an integer');
        return;
      }
      case 'boolean':
        if (typeof value !== 'boolean' && value !== 'true' && value !== 'false') mismatch('a boolean');
        return;
      case 'json':
        if (!isObject(value) && !Array.isArray(value) && typeof value !== 'string') mismatch('JSON (an object)');
        return this.checkReferences(value, path);
      case 'date-time':
        if (typeof value !== 'string') mismatch('a date-time string');
        return;
      case 'null':
        return;
      case 'tag':
        if (!isObject(value) || !('Key' in value) || !('Value' in value)) return mismatch('a tag {Key, Value}');
        return this.checkReferences(value, path);
      case 'array':
        if (!Array.isArray(value)) return mismatch('a list');
        value.forEach((element, i) => this.checkValue(element, type.element, `${path}[${i}]`));
        return;
      case 'map':
        if (!isObject(value)) return mismatch('a map');
        for (const [k, v] of Object.entries(value)) this.checkValue(v, type.element, `${path}.${k}`);
        return;
      case 'union':
        return this.checkUnion(value, type.types, path);
      case 'ref': {
        const definition = this.db.get('typeDefinition', type.reference.$ref);
        if (!isObject(value)) return mismatch(`an object (${definition.name})`);
        return this.checkObject(value, definition.properties, path);
      }
    }
  }

  private checkUnion(value: Json, types: PropertyType[], path: string): void {
    const before = this.problems.length;
    for (const alternative of types) {
      const mark = this.problems.length;
      this.checkValue(value, alternative, path);
      if (this.problems.length === mark) {
        this.problems.length = before;
        return;
      }
    }
    const failures = this.problems.splice(before);
    this.report(path, `fits none of the allowed types: ${failures.map((p) => p.message).join(' | ')}`);
  }

  private checkIntrinsic(name: string, value: Record<string, Json>, type: PropertyType, path: string): void {
    const args = value[name];
    if (name === 'Fn::If' && Array.isArray(args)) {
      const [condition, whenTrue, whenFalse] = args;
      if (typeof condition !== 'string' || !(condition in (this.template.Conditions ?? {}))) this.report(path, `Fn::If names unknown condition ${String(condition)}`);
      for (const branch of [whenTrue, whenFalse]) {
        if (isObject(branch) && branch.Ref === 'AWS::NoValue') continue;
        this.checkValue(branch, type, path);
      }
      return;
    }
    this.checkReferences(value, path);
  }

  /** Walks any value and checks every Ref, Fn::GetAtt and Fn::Sub in it. */
  checkReferences(value: Json, path: string): void {
    if (Array.isArray(value)) return value.forEach((v, i) => this.checkReferences(v, `${path}[${i}]`));
    if (!isObject(value)) return;
    for (const [key, arg] of Object.entries(value)) {
      if (key === 'Ref' && typeof arg === 'string') this.checkName(arg, path);
      else if (key === 'Fn::GetAtt') this.checkGetAtt(arg, path);
      else if (key === 'Fn::Sub') this.checkSub(arg, path);
      else this.checkReferences(arg, path);
    }
  }

  private checkName(name: string, path: string): void {
    const known = PSEUDO_PARAMETERS.has(name) || name in this.template.Resources || name in (this.template.Parameters ?? {});
    if (!known) this.report(path, `reference to unknown ${name}`);
  }

  private checkGetAtt(arg: Json, path: string): void {
    const [logicalId, attribute] = typeof arg === 'string' ? [arg.slice(0, arg.indexOf('.')), arg.slice(arg.indexOf('.') + 1)] : (arg as [string, string]);
    const target = this.template.Resources[logicalId];
    if (!target) return this.report(path, `Fn::GetAtt of unknown resource ${logicalId}`);
    if (target.Type.startsWith('Custom::')) return;
    const spec = this.db.lookup('resource', 'cloudFormationType', 'equals', target.Type)[0];
    if (spec && !(attribute in spec.attributes)) this.report(path, `${target.Type} has no attribute ${attribute}`);
  }

  private checkSub(arg: Json, path: string): void {
    const [text, variables] = Array.isArray(arg) ? (arg as [string, Record<string, Json>]) : [arg as string, {}];
    this.checkReferences(variables, path);
    for (const match of text.matchAll(/\$\{([^!}][^}]*)\}/g)) {
      const name = match[1]!;
      if (name in variables) continue;
      if (name.includes('.') && !name.startsWith('AWS::')) this.checkGetAtt(name, path);
      else this.checkName(name, path);
    }
  }
}

export function validateTemplate(db: SpecDatabase, template: CfnTemplate): SpecProblem[] {
  return new SpecValidator(db, template).validate();
}
