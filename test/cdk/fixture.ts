import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, CfnResource, NestedStack, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { expect, inject } from 'vitest';
import { addSecretsStacks, type SecretsStacks } from '../../infra/cdk/secrets-app.js';
import type { ServiceFunction } from '../../infra/cdk/service-function.js';

/**
 * The whole app synthesized as `cdk synth` would (same context, bundling with the local
 * esbuild, cdk-nag registered), once per test process. The cdk project runs its files in one
 * worker without isolation (vitest.config.ts), so every file shares this one synthesis —
 * bundling all functions is most of the time; a file run on its own synthesizes it itself.
 */
export const REGION = 'eu-west-1';
export const JWT = { jwtIssuer: 'https://auth.example.org/', jwtAudience: 'secrets-api' };
/** A KMS key the data key replaced (`rotationSourceKeyArns`); rotation may re-wrap away from it. */
export const PREVIOUS_DATA_KEY_ARN = `arn:aws:kms:${REGION}:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
/** A role that administers the KMS keys (`keyAdminRoleArns`) and the alarm subscriber (`alarmEmail`). */
export const KEY_ADMIN_ROLE_ARN = 'arn:aws:iam::111122223333:role/security/KeyAdministrators';
export const ALARM_EMAIL = 'oncall@example.org';
export const CDK_CONTEXT = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')).context;

export interface SynthesizedApp {
  app: App;
  stacks: SecretsStacks;
  /** The cloud assembly directory, with the bundled assets; removed after the run (test/support/cdk-outdir.ts). */
  outdir: string;
}

let synthesized: SynthesizedApp | undefined;

export function synthesizedApp(): SynthesizedApp {
  if (!synthesized) {
    const outdir = mkdtempSync(join(inject('cdkOutRoot') ?? tmpdir(), 'synth-'));
    const app = new App({
      outdir,
      context: {
        ...CDK_CONTEXT,
        ...JWT,
        region: REGION,
        rotationSourceKeyArns: [PREVIOUS_DATA_KEY_ARN],
        keyAdminRoleArns: KEY_ADMIN_ROLE_ARN,
        alarmEmail: ALARM_EMAIL,
      },
    });
    const stacks = addSecretsStacks(app);
    app.synth();
    synthesized = { app, stacks, outdir };
  }
  return synthesized;
}

export const logicalId = (construct: IConstruct): string => {
  const resource = construct instanceof CfnResource ? construct : construct.node.defaultChild;
  if (!(resource instanceof CfnResource)) throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return (resource.stack as Stack).getLogicalId(resource);
};

const templates = new WeakMap<Stack, Template>();

/** The template of the stack a construct is in (a nested stack's own template for what it holds). */
export function templateOf(construct: IConstruct): Template {
  const stack = Stack.of(construct);
  let template = templates.get(stack);
  if (!template) {
    template = Template.fromStack(stack);
    templates.set(stack, template);
  }
  return template;
}

/** A construct's resource in its own stack's template. */
export function resourceOf(construct: IConstruct): {
  Type: string;
  Properties: Record<string, any>;
  UpdatePolicy?: any;
} {
  const resource = templateOf(construct).toJSON().Resources[logicalId(construct)];
  if (!resource) throw new Error(`${construct.node.path} is not in its stack's template`);
  return resource;
}

/** The API stack and its nested stacks, which hold the endpoint functions. */
export const apiStacks = (stacks: SecretsStacks): Stack[] => [stacks.api, ...stacks.api.endpointStacks.values()];

/** A value in a stack's template, by the path of that stack (logical ids repeat across stacks). */
export interface Reference {
  stack: string;
  value: unknown;
}

/**
 * Follows a value across nested stacks to the stack that holds what it refers to: a nested
 * stack's parameter to the value its parent passes, a parent's `Outputs.…` attribute of a
 * nested stack to that output's value. Anything else stays as it is.
 */
export function followReference(stack: Stack, value: unknown): Reference {
  const ref = (value as { Ref?: unknown } | undefined)?.Ref;
  const parent = stack.nestedStackParent;
  if (parent && typeof ref === 'string' && ref in (templateOf(stack).toJSON().Parameters ?? {})) {
    const nestedStack = resourceOf((stack as NestedStack).nestedStackResource!);
    return followReference(parent, nestedStack.Properties.Parameters[ref]);
  }
  const [id, attribute] = (value as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt'] ?? [];
  if (id && attribute?.startsWith('Outputs.')) {
    const nested = stack.node
      .findAll()
      .find(
        (construct): construct is NestedStack =>
          NestedStack.isNestedStack(construct) &&
          construct.nestedStackParent === stack &&
          logicalId(construct.nestedStackResource!) === id,
      );
    if (!nested) throw new Error(`${stack.node.path} has no nested stack ${id}`);
    const output = templateOf(nested).toJSON().Outputs[attribute.slice('Outputs.'.length)];
    return followReference(nested, output.Value);
  }
  return { stack: stack.node.path, value };
}

/** What followReference gives for a `Ref` to the construct, or for one of its attributes. */
export function referenceTo(construct: IConstruct, attribute?: string): Reference {
  const id = logicalId(construct);
  return { stack: Stack.of(construct).node.path, value: attribute ? { 'Fn::GetAtt': [id, attribute] } : { Ref: id } };
}

/** A name for a value and the resource attribute it stands for. */
export type Producer = [name: string, construct: IConstruct, attribute: 'Arn' | 'Ref'];

/** The data stack's values other stacks import. */
export function dataProducers(stacks: SecretsStacks): Producer[] {
  return [
    ['table', stacks.data.table, 'Arn'],
    ['table name', stacks.data.table, 'Ref'],
    ['table key', stacks.data.tableKey, 'Arn'],
    ['data key', stacks.data.dataKey, 'Arn'],
    ['operations key', stacks.data.operationsKey, 'Arn'],
    ['alarm topic', stacks.data.alarmTopic, 'Ref'],
  ];
}

/**
 * Names a value by the resource it comes from (`table/index/GSI1`): a value imported from
 * another stack (whose export name holds the producer's logical id) or a reference to a
 * resource of the same stack. Anything else is returned as its JSON.
 */
export function describeValue(value: unknown, producers: readonly Producer[]): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join) return join[1].map((part) => describeValue(part, producers)).join(join[0]);
  const text = JSON.stringify(value);
  const match = producers.find(([, construct, attribute]) => {
    const id = logicalId(construct);
    const local = attribute === 'Arn' ? { 'Fn::GetAtt': [id, 'Arn'] } : { Ref: id };
    return text === JSON.stringify(local) || text.includes(`${attribute === 'Arn' ? 'FnGetAtt' : 'Ref'}${id}`);
  });
  return match ? match[0] : text;
}

export interface NormalizedStatement {
  actions: string[];
  resources: string[];
  condition?: unknown;
}

/** The statements of a service function's role policy, with ARNs replaced by what they point at. */
export function statementsOf(fn: ServiceFunction, producers: readonly Producer[]): NormalizedStatement[] {
  const policies = Object.values(templateOf(fn).findResources('AWS::IAM::Policy')).filter((policy) =>
    policy.Properties.Roles.some((role: { Ref: string }) => role.Ref === logicalId(fn.role)),
  );
  expect(policies).toHaveLength(1);
  const ownLogGroup = logicalId(fn.logGroup);
  return sortStatements(
    policies[0]!.Properties.PolicyDocument.Statement.map(
      (statement: { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown }) => {
        expect(statement.Effect).toBe('Allow');
        const resources = ([] as unknown[])
          .concat(statement.Resource)
          .map((value) =>
            JSON.stringify(value).includes(`"${ownLogGroup}"`) ? 'own log group' : describeValue(value, producers),
          );
        return {
          actions: ([] as string[]).concat(statement.Action).sort(),
          resources: resources.sort(),
          ...(statement.Condition ? { condition: statement.Condition } : {}),
        };
      },
    ),
  );
}

export function sortStatements(statements: NormalizedStatement[]): NormalizedStatement[] {
  return [...statements].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

/** Writing to its own log group: what every service function's role holds besides its grants. */
export const LOGS_STATEMENT: NormalizedStatement = {
  actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
  resources: ['own log group'],
};

/** Active tracing: X-Ray's two write actions, which take no resource ARN. */
export const XRAY_STATEMENT: NormalizedStatement = {
  actions: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'],
  resources: ['*'],
};

/**
 * Statements as the set of single permissions they grant (`action on resource if condition`),
 * so a comparison does not depend on how statements are split or merged (minimizePolicies).
 */
export function permissions(statements: readonly NormalizedStatement[]): string[] {
  const granted = statements.flatMap(({ actions, resources, condition }) =>
    actions.flatMap((action) =>
      resources.map((resource) => `${action} on ${resource}${condition ? ` if ${JSON.stringify(condition)}` : ''}`),
    ),
  );
  return [...new Set(granted)].sort();
}
