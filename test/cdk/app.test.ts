import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SecretsStacks } from '../../infra/cdk/secrets-app.js';
import { PROJECT_ROOT } from '../../infra/paths.js';
import { PUBLIC_ROUTES, ROUTES, type RouteDefinition, routeKey, SERVED_ROUTES } from '../../infra/routes.js';
import type { ApiFamily } from '../../lib/http/envelopes.js';
import { RENDERER_FILES } from '../../lib/openapi/public-files.js';
import { TABLE_DEFINITION } from '../../lib/store/table.js';
import {
  apiStacks,
  dataProducers,
  describeValue as describeProducer,
  followReference,
  statementsOf as functionStatements,
  JWT,
  LOGS_STATEMENT,
  logicalId,
  type NormalizedStatement,
  REGION,
  referenceTo,
  resourceOf,
  sortStatements,
  synthesizedApp,
  templateOf,
  XRAY_STATEMENT,
} from './fixture.js';

/**
 * Checks the data and API templates and the bundles of the app synthesized once (fixture.ts).
 * `api` is the API stack's own template: the API, its routes and integrations; the endpoint
 * functions are in its nested stacks (`templateOf(endpoint)`).
 */
let outdir: string;
let app: App;
let stacks: SecretsStacks;
let api: Template;
let data: Template;

beforeAll(() => {
  ({ app, stacks, outdir } = synthesizedApp());
  api = Template.fromStack(stacks.api);
  data = Template.fromStack(stacks.data);
});

const endpointOf = (route: RouteDefinition) => {
  const endpoint = stacks.api.endpoints.get(route);
  if (!endpoint) throw new Error(`no endpoint for ${routeKey(route)}`);
  return endpoint;
};

describe('data stack', () => {
  it('builds the table from TABLE_DEFINITION: on demand, TTL, PITR, deletion protection, CMK encryption, retained', () => {
    const { partitionKey, sortKey, indexes, ttlAttribute } = TABLE_DEFINITION;
    const tables = data.findResources('AWS::DynamoDB::GlobalTable');
    expect(Object.keys(tables)).toHaveLength(1);
    expect(Object.values(tables)[0]).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });

    data.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: partitionKey, KeyType: 'HASH' },
        { AttributeName: sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: indexes.map((index) => ({
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      })),
      TimeToLiveSpecification: { AttributeName: ttlAttribute, Enabled: true },
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      Replicas: [
        Match.objectLike({
          Region: REGION,
          DeletionProtectionEnabled: true,
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          SSESpecification: { KMSMasterKeyId: { 'Fn::GetAtt': [logicalId(stacks.data.tableKey), 'Arn'] } },
        }),
      ],
    });
  });

  it('has three rotating KMS keys (data, table, operations), each with its alias (key-policies.test.ts has their policies)', () => {
    const keys = data.findResources('AWS::KMS::Key');
    const { dataKey, tableKey, operationsKey } = stacks.data;
    expect(Object.keys(keys).sort()).toEqual([dataKey, tableKey, operationsKey].map(logicalId).sort());
    for (const key of Object.values(keys)) {
      expect(key).toMatchObject({ DeletionPolicy: 'Retain', Properties: { EnableKeyRotation: true } });
    }
    const aliases = Object.values(data.findResources('AWS::KMS::Alias')).map((alias) => [
      alias.Properties.AliasName,
      alias.Properties.TargetKeyId['Fn::GetAtt'][0],
    ]);
    expect(aliases.sort()).toEqual(
      [
        ['alias/secrets-service', logicalId(dataKey)],
        ['alias/secrets-service-operations', logicalId(operationsKey)],
        ['alias/secrets-service-table', logicalId(tableKey)],
      ].sort(),
    );
  });
});

describe('API stack', () => {
  it('has exactly one authorized route per route table entry, each integrated with its own function', () => {
    const authorizers = api.findResources('AWS::ApiGatewayV2::Authorizer', {
      Properties: { AuthorizerType: 'JWT', JwtConfiguration: { Issuer: JWT.jwtIssuer, Audience: [JWT.jwtAudience] } },
    });
    expect(Object.keys(authorizers)).toHaveLength(1);
    const authorizerId = Object.keys(authorizers)[0];

    const routes = Object.values(api.findResources('AWS::ApiGatewayV2::Route'));
    expect(routes.map((route) => route.Properties.RouteKey).sort()).toEqual(
      [...SERVED_ROUTES.map(routeKey), '$default'].sort(),
    );

    const integrations = api.findResources('AWS::ApiGatewayV2::Integration');
    const functionsSeen = new Set<string>();
    for (const route of SERVED_ROUTES) {
      const resource = routes.find((candidate) => candidate.Properties.RouteKey === routeKey(route));
      // A service-token route's function checks the token itself (route-tables.test.ts); the
      // public documentation routes are open to anyone (below).
      expect(resource?.Properties).toMatchObject(
        route.auth === 'service-token' || route.auth === 'none'
          ? { AuthorizationType: 'NONE' }
          : { AuthorizationType: 'JWT', AuthorizerId: { Ref: authorizerId } },
      );

      const target = resource?.Properties.Target['Fn::Join'][1] as [string, { Ref: string }];
      expect(target[0]).toBe('integrations/');
      const integration = integrations[target[1].Ref];
      const endpoint = endpointOf(route);
      expect(integration?.Properties).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
      // The live alias, never the function itself ($LATEST): see safe-deploys in operations.test.ts.
      expect(followReference(stacks.api, integration?.Properties.IntegrationUri)).toEqual(referenceTo(endpoint.alias));
      functionsSeen.add(endpoint.node.path);
    }
    expect(functionsSeen.size).toBe(SERVED_ROUTES.length);
    const functionCount = apiStacks(stacks).map(
      (stack) => Object.keys(templateOf(stack).findResources('AWS::Lambda::Function')).length,
    );
    expect(functionCount.reduce((sum, count) => sum + count)).toBe(SERVED_ROUTES.length + 1);
  });

  it('answers unmatched paths through an unauthenticated $default route whose function may only log', () => {
    const routes = Object.values(api.findResources('AWS::ApiGatewayV2::Route'));
    const fallback = routes.find((route) => route.Properties.RouteKey === '$default');
    expect(fallback?.Properties).toMatchObject({ AuthorizationType: 'NONE' });
    expect(fallback?.Properties.AuthorizerId).toBeUndefined();
    const target = fallback?.Properties.Target['Fn::Join'][1] as [string, { Ref: string }];
    const integration = api.findResources('AWS::ApiGatewayV2::Integration')[target[1].Ref];
    const unmatched = stacks.api.unmatchedRoute;
    expect(integration?.Properties.IntegrationUri).toEqual({ Ref: logicalId(unmatched.alias) });
    expect(functionStatements(unmatched, dataProducers(stacks))).toEqual(
      sortStatements([LOGS_STATEMENT, XRAY_STATEMENT]),
    );
    const environment =
      api.findResources('AWS::Lambda::Function')[logicalId(unmatched.function)]?.Properties.Environment.Variables;
    expect(environment.ROUTE_TEMPLATES.split(',').sort()).toEqual(SERVED_ROUTES.map(routeKey).sort());
    expect(environment).not.toHaveProperty('TABLE_NAME');
  });

  it('runs every function on Node 22 arm64 with source maps, its own log group and the service settings', () => {
    for (const route of ROUTES) {
      const endpoint = endpointOf(route);
      const fn = resourceOf(endpoint.function);
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        LoggingConfig: { LogGroup: { Ref: logicalId(endpoint.logGroup) } },
        Environment: {
          Variables: {
            DATA_KEY_CACHE_SECONDS: '300',
            AUDIT_RETENTION_DAYS: '90',
            UPSTREAM_TIMEOUT_MS: '3000',
          },
        },
      });
      const variables = fn.Properties.Environment.Variables;
      // Source maps are not read at each cold start.
      expect(variables.NODE_OPTIONS).toBeUndefined();
      expect(describeValue(variables.TABLE_NAME)).toBe('table name');
      expect(describeValue(variables.KMS_KEY_ID)).toBe('data key');
      expect(resourceOf(endpoint.logGroup).Properties.RetentionInDays).toBeGreaterThan(0);
    }
  });

  it('gives the list route DynamoDB reads on the table and no data-key grant', () => {
    expect(statementsOf(route('list-user-secrets'))).toEqual(
      sortStatements([
        LOGS_STATEMENT,
        XRAY_STATEMENT,
        { actions: ['dynamodb:GetItem', 'dynamodb:Query'], resources: ['table'] },
        { actions: ['kms:Decrypt'], resources: ['table key'], condition: VIA_DYNAMODB },
      ]),
    );
  });

  it('lets trash purges delete without any data-key grant, and restores unwrap but never generate', () => {
    for (const name of ['purge-deleted-user-secret', 'purge-deleted-environment-secret']) {
      const statements = statementsOf(route(name));
      expect(statements.filter((statement) => statement.resources.includes('data key'))).toEqual([]);
      expect(statements).toContainEqual({
        actions: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        resources: ['table'],
      });
    }
    for (const [name, tenant] of [
      ['restore-deleted-user-secret', 'USER#*'],
      ['restore-user-secret-version', 'USER#*'],
      ['restore-deleted-environment-secret', 'ENV#*'],
      ['restore-environment-secret-version', 'ENV#*'],
      ['reveal-environment-secret-version', 'ENV#*'],
    ]) {
      expect(statementsOf(route(name!)).filter((statement) => statement.resources.includes('data key'))).toEqual([
        {
          actions: ['kms:Decrypt'],
          resources: ['data key'],
          condition: { StringLike: { 'kms:EncryptionContext:tenant': tenant } },
        },
      ]);
    }
  });

  it('lets the create route generate and unwrap data keys of USER tenants only', () => {
    expect(statementsOf(route('create-user-secret'))).toEqual(
      sortStatements([
        LOGS_STATEMENT,
        XRAY_STATEMENT,
        {
          actions: [
            'dynamodb:ConditionCheckItem',
            'dynamodb:DeleteItem',
            'dynamodb:GetItem',
            'dynamodb:PutItem',
            'dynamodb:UpdateItem',
          ],
          resources: ['table'],
        },
        {
          actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
          resources: ['table key'],
          condition: VIA_DYNAMODB,
        },
        {
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: ['data key'],
          condition: { StringLike: { 'kms:EncryptionContext:tenant': 'USER#*' } },
        },
      ]),
    );
  });

  it('grants every function exactly the table and KMS actions of its route, and nothing else', () => {
    for (const entry of ROUTES) {
      const statements = statementsOf(entry);
      const actionsOn = (resource: string) =>
        statements
          .filter((s) => s.resources.includes(resource))
          .flatMap((s) => s.actions)
          .sort();
      expect(actionsOn('table'), entry.function).toEqual(entry.table.map((action) => `dynamodb:${action}`).sort());
      expect(actionsOn('data key'), entry.function).toEqual(entry.kms.map((action) => `kms:${action}`).sort());
      const dataKeyStatement = statements.find((s) => s.resources.includes('data key'));
      if (entry.kms.length > 0) {
        expect(dataKeyStatement?.condition).toEqual({
          StringLike: { 'kms:EncryptionContext:tenant': `${entry.tenantKind}#*` },
        });
      }
      expect(statements.find((s) => s.resources.includes('table key'))?.condition).toEqual(VIA_DYNAMODB);
      const indexArns = entry.index ? TABLE_DEFINITION.indexes.map((index) => `table/index/${index.name}`) : [];
      // `*` is only X-Ray's, whose actions take no resource.
      expect(statements.filter((s) => s.resources.includes('*'))).toEqual([XRAY_STATEMENT]);
      expect(statements.flatMap((s) => s.resources).sort()).toEqual(
        [
          '*',
          'own log group',
          'table',
          ...indexArns,
          'table key',
          ...(entry.kms.length > 0 ? ['data key'] : []),
        ].sort(),
      );
      expect(statements.flatMap((s) => s.actions).filter((action) => action.includes('*'))).toEqual([]);
    }
  });

  it('throttles the stage and writes JSON access logs, with the caller, to a log group', () => {
    api.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: Match.anyValue(), ThrottlingBurstLimit: Match.anyValue() },
      AccessLogSettings: {
        DestinationArn: { 'Fn::GetAtt': [logicalId(stacks.api.node.findChild('AccessLogs')), 'Arn'] },
        Format: Match.stringLikeRegexp('"requestId":"\\$context.requestId".*"sub":"\\$context.authorizer.claims.sub"'),
      },
    });
  });

  it('alarms on 5xx count, 5xx rate and Lambda throttles of every function', () => {
    const alarms = Object.values(api.findResources('AWS::CloudWatch::Alarm')).map((alarm) => alarm.Properties);
    expect(alarms.filter((alarm) => alarm.MetricName === '5xx' && alarm.Namespace === 'AWS/ApiGateway')).toHaveLength(
      1,
    );

    const rate = alarms.find((alarm) =>
      alarm.Metrics?.some((metric: { Expression?: string }) => metric.Expression === '100 * errors / requests'),
    );
    const metricNames = rate?.Metrics.flatMap((metric: { MetricStat?: { Metric: { MetricName: string } } }) =>
      metric.MetricStat ? [metric.MetricStat.Metric.MetricName] : [],
    );
    expect(metricNames?.sort()).toEqual(['5xx', 'Count']);
    expect(rate?.Metrics.find((metric: { Expression?: string }) => metric.Expression)?.Expression).toBe(
      '100 * errors / requests',
    );

    // The throttle alarms sit next to their functions, in the nested stacks.
    const throttled = apiStacks(stacks).flatMap((stack) =>
      Object.values(templateOf(stack).findResources('AWS::CloudWatch::Alarm'))
        .filter((alarm) => alarm.Properties.MetricName === 'Throttles')
        .map((alarm) => followReference(stack, alarm.Properties.Dimensions[0].Value)),
    );
    const byJson = (a: unknown, b: unknown) => JSON.stringify(a).localeCompare(JSON.stringify(b));
    expect(throttled.sort(byJson)).toEqual(
      SERVED_ROUTES.map((entry) => referenceTo(endpointOf(entry).function)).sort(byJson),
    );
  });

  it('outputs the API URL', () => {
    api.hasOutput('ApiUrl', {
      Value: { 'Fn::Join': ['', Match.arrayWith(['https://', { Ref: logicalId(stacks.api.api) }])] },
    });
  });
});

describe('cdk-nag', () => {
  it('reports no unacknowledged AWS Solutions finding', () => {
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(
      report.violations.map(
        (violation) => `${violation.ruleName} at ${violation.violatingResources.map((r) => r.constructPath)}`,
      ),
    ).toEqual([]);
  });

  it('gives every acknowledgement a written reason', () => {
    const reasons = app.node
      .findAll()
      .flatMap((construct) =>
        construct.node.metadata
          .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
          .flatMap((entry) => Object.values(entry.data as object)),
      );
    expect(reasons.length).toBeGreaterThan(0);
    for (const reason of reasons) expect(String(reason).length).toBeGreaterThan(30);
  });
});

describe('bundles', () => {
  it("load as plain Node ESM and answer an unauthenticated call with their family's 401 envelope", () => {
    const bundles = ROUTES.map((entry) => {
      const fn = resourceOf(endpointOf(entry).function);
      const assetDir = join(outdir, `asset.${String(fn.Properties.Code.S3Key).replace(/\.zip$/, '')}`);
      return {
        name: entry.function,
        url: pathToFileURL(join(assetDir, 'index.mjs')).href,
        event: unauthenticatedEvent(entry),
      };
    });
    // A separate node process, so the bundles load the way the Lambda runtime loads them,
    // without the test runner's module transform in between.
    const output = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', INVOKE_BUNDLES, JSON.stringify(bundles)],
      {
        encoding: 'utf8',
        env: { ...process.env, LOG_LEVEL: 'silent' },
      },
    );
    const answers = JSON.parse(output) as { name: string; statusCode: number; body: string }[];
    expect(answers.map((answer) => answer.name)).toEqual(ROUTES.map((entry) => entry.function));
    for (const [index, answer] of answers.entries()) {
      expect(answer.statusCode, answer.name).toBe(401);
      expect(JSON.parse(answer.body), answer.name).toMatchObject(UNAUTHENTICATED_BODY[ROUTES[index]!.family]);
    }
  });
});

describe('public documentation routes (auth: none)', () => {
  it('have no authorizer in front, as the API stack acknowledges', () => {
    const routes = Object.values(api.findResources('AWS::ApiGatewayV2::Route'));
    for (const entry of PUBLIC_ROUTES) {
      const resource = routes.find((candidate) => candidate.Properties.RouteKey === routeKey(entry));
      expect(resource?.Properties, entry.function).toMatchObject({ AuthorizationType: 'NONE' });
      expect(resource?.Properties.AuthorizerId, entry.function).toBeUndefined();
    }
  });

  it('run functions that may only log, told nothing of the table or the keys, with their own limits', () => {
    for (const entry of PUBLIC_ROUTES) {
      const endpoint = endpointOf(entry);
      expect(statementsOf(entry), entry.function).toEqual(sortStatements([LOGS_STATEMENT, XRAY_STATEMENT]));
      const fn = resourceOf(endpoint.function);
      expect(fn.Properties.Environment?.Variables ?? {}, entry.function).toEqual({});
      expect(fn.Properties.ReservedConcurrentExecutions, entry.function).toBe(entry.limits?.reservedConcurrency);
      expect(entry.limits, entry.function).toBeDefined();
    }
  });

  it('bundle the renderer next to the page’s function, and both answer without a token in plain Node', () => {
    const bundles = PUBLIC_ROUTES.map((entry) => {
      const fn = resourceOf(endpointOf(entry).function);
      const assetDir = join(outdir, `asset.${String(fn.Properties.Code.S3Key).replace(/\.zip$/, '')}`);
      return { entry, assetDir, url: pathToFileURL(join(assetDir, 'index.mjs')).href };
    });
    const page = bundles.find(({ entry }) => entry.path === '/docs')!;
    for (const file of Object.values(RENDERER_FILES)) expect(readdirSync(page.assetDir)).toContain(file);
    const output = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        INVOKE_BUNDLES,
        JSON.stringify(bundles.map(({ entry, url }) => ({ name: entry.function, url, event: { headers: {} } }))),
      ],
      { encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'silent' }, maxBuffer: 64 * 1024 * 1024 },
    );
    const answers = JSON.parse(output) as { name: string; statusCode: number; body: string }[];
    const [document, html] = [
      answers.find((a) => a.name === 'get-openapi-document')!,
      answers.find((a) => a.name === 'get-api-reference')!,
    ];
    expect(document.statusCode).toBe(200);
    expect(JSON.parse(document.body)).toEqual(
      JSON.parse(readFileSync(join(PROJECT_ROOT, 'docs', 'openapi.json'), 'utf8')),
    );
    expect(html.statusCode).toBe(200);
    expect(html.body).toContain('SwaggerUIBundle');
    expect(html.body.length).toBeGreaterThan(1_000_000);
  });
});

/** The 401 body of each API family (lib/http/envelopes.ts). */
const UNAUTHENTICATED_BODY: Record<ApiFamily, Record<string, unknown>> = {
  v1: { code: 401, type: 'authentication_error' },
  environments: { code: 'UNAUTHORIZED', requestId: expect.any(String) },
};

const INVOKE_BUNDLES = `
const answers = [];
for (const { name, url, event } of JSON.parse(process.argv[1])) {
  const { handler } = await import(url);
  const { statusCode, body } = await handler(event, { awsRequestId: 'test', getRemainingTimeInMillis: () => 10000 });
  answers.push({ name, statusCode, body });
}
process.stdout.write(JSON.stringify(answers));
`;

const VIA_DYNAMODB = { StringEquals: { 'kms:ViaService': `dynamodb.${REGION}.amazonaws.com` } };

function route(fn: string): RouteDefinition {
  const found = ROUTES.find((entry) => entry.function === fn);
  if (!found) throw new Error(`no route for ${fn}`);
  return found;
}

/** The statements of a route's function, with ARNs replaced by what they point at. */
function statementsOf(entry: RouteDefinition): NormalizedStatement[] {
  return functionStatements(endpointOf(entry), dataProducers(stacks));
}

/** Names a cross-stack value by the data stack resource it comes from (`table/index/GSI1`). */
function describeValue(value: unknown): string {
  return describeProducer(value, dataProducers(stacks));
}

function unauthenticatedEvent(entry: RouteDefinition) {
  return {
    version: '2.0',
    routeKey: routeKey(entry),
    rawPath: entry.path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    body: '{}',
    isBase64Encoded: false,
    requestContext: { http: { method: entry.method, path: entry.path }, requestId: 'test' },
  };
}
