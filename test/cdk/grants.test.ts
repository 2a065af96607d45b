import { describe, expect, it } from 'vitest';
import { type GrantTargets, type RotationGrantTargets, rotationGrants, routeGrants } from '../../infra/cdk/grants.js';
import { PUBLIC_ROUTES, ROUTES, type RouteDefinition } from '../../infra/routes.js';

const TARGETS: GrantTargets = {
  tableArn: 'arn:aws:dynamodb:eu-west-1:111122223333:table/secrets',
  tableKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/table-key',
  dataKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/data-key',
  region: 'eu-west-1',
};
const VIA_DYNAMODB = { StringEquals: { 'kms:ViaService': 'dynamodb.eu-west-1.amazonaws.com' } };

function route(fn: string): RouteDefinition {
  const found = ROUTES.find((candidate) => candidate.function === fn);
  if (!found) throw new Error(`no route for ${fn}`);
  return found;
}

describe('routeGrants', () => {
  it('gives the list route its two reads on the table and no data-key use', () => {
    expect(routeGrants(route('list-user-secrets'), TARGETS)).toEqual([
      { actions: ['dynamodb:Query', 'dynamodb:GetItem'], resources: [TARGETS.tableArn] },
      { actions: ['kms:Decrypt'], resources: [TARGETS.tableKeyArn], conditions: VIA_DYNAMODB },
    ]);
  });

  it('lets the create route generate and unwrap USER data keys only', () => {
    expect(routeGrants(route('create-user-secret'), TARGETS)).toEqual([
      {
        actions: [
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:ConditionCheckItem',
          'dynamodb:DeleteItem',
        ],
        resources: [TARGETS.tableArn],
      },
      {
        actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
        resources: [TARGETS.tableKeyArn],
        conditions: VIA_DYNAMODB,
      },
      {
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [TARGETS.dataKeyArn],
        conditions: { StringLike: { 'kms:EncryptionContext:tenant': 'USER#*' } },
      },
    ]);
  });

  it('limits data-key use to the tenant kind of the route', () => {
    const envRoute: RouteDefinition = { ...route('inject-user-secrets'), tenantKind: 'ENV' };
    const dataKeyStatement = routeGrants(envRoute, TARGETS).find((statement) =>
      statement.resources.includes(TARGETS.dataKeyArn),
    );
    expect(dataKeyStatement?.conditions).toEqual({ StringLike: { 'kms:EncryptionContext:tenant': 'ENV#*' } });
  });

  it('grants the public documentation routes nothing: no table, no key', () => {
    expect(PUBLIC_ROUTES.length).toBeGreaterThan(0);
    for (const entry of PUBLIC_ROUTES) {
      expect(entry.auth, entry.function).toBe('none');
      expect(routeGrants(entry, TARGETS), entry.function).toEqual([]);
    }
  });

  it('refuses a route that uses KMS without naming its tenant kind', () => {
    const { tenantKind: _, ...nameless } = route('inject-user-secrets');
    expect(() => routeGrants(nameless, TARGETS)).toThrow(/tenantKind/);
  });

  it('adds the named index ARNs only for a route that uses the index', () => {
    const indexed: RouteDefinition = { ...route('list-user-secrets'), index: true };
    expect(routeGrants(indexed, TARGETS)[0]?.resources).toEqual([TARGETS.tableArn, `${TARGETS.tableArn}/index/GSI1`]);
    for (const plain of ROUTES.filter((candidate) => !candidate.index)) {
      expect(routeGrants(plain, TARGETS).flatMap((statement) => statement.resources)).not.toContain(
        `${TARGETS.tableArn}/index/GSI1`,
      );
    }
  });

  it('grants every route exactly its table and KMS actions, with no wildcard action', () => {
    for (const entry of ROUTES) {
      const statements = routeGrants(entry, TARGETS);
      const onResource = (arn: string) =>
        statements.filter((statement) => statement.resources.includes(arn)).flatMap((s) => s.actions);
      expect(onResource(TARGETS.tableArn).sort(), entry.function).toEqual(
        entry.table.map((action) => `dynamodb:${action}`).sort(),
      );
      expect(onResource(TARGETS.dataKeyArn).sort(), entry.function).toEqual(
        entry.kms.map((action) => `kms:${action}`).sort(),
      );
      expect(statements.flatMap((statement) => statement.actions).filter((action) => action.includes('*'))).toEqual([]);
    }
  });

  it('gives read-only routes nothing but Decrypt on the table key', () => {
    expect(routeGrants(route('get-user-secret'), TARGETS)[1]?.actions).toEqual(['kms:Decrypt']);
  });

  it('grants nothing to a route that touches neither the table nor KMS', () => {
    expect(routeGrants({ ...route('get-user-secret'), table: [], kms: [] }, TARGETS)).toEqual([]);
  });
});

describe('rotationGrants', () => {
  const ROTATION_TARGETS: RotationGrantTargets = {
    ...TARGETS,
    eventBusArn: 'arn:aws:events:eu-west-1:111122223333:event-bus/secrets-rotation',
  };
  const ANY_TENANT = { StringLike: { 'kms:EncryptionContext:tenant': ['USER#*', 'ENV#*'] } };

  it('grants exactly what lib/rotation calls, on the table, its named index, the data key and the bus', () => {
    expect(rotationGrants(ROTATION_TARGETS)).toEqual([
      {
        actions: [
          'dynamodb:Query',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
          'dynamodb:BatchWriteItem',
        ],
        resources: [TARGETS.tableArn, `${TARGETS.tableArn}/index/GSI1`],
      },
      {
        actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
        resources: [TARGETS.tableKeyArn],
        conditions: VIA_DYNAMODB,
      },
      {
        actions: ['kms:GenerateDataKey', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'],
        resources: [TARGETS.dataKeyArn],
        conditions: ANY_TENANT,
      },
      { actions: ['kms:DescribeKey'], resources: [TARGETS.dataKeyArn] },
      { actions: ['events:PutEvents'], resources: [ROTATION_TARGETS.eventBusArn] },
    ]);
  });

  it('uses no wildcard action and no wildcard index', () => {
    const statements = rotationGrants(ROTATION_TARGETS);
    expect(statements.flatMap((statement) => statement.actions).filter((action) => action.includes('*'))).toEqual([]);
    expect(statements.flatMap((statement) => statement.resources).filter((resource) => resource.includes('*'))).toEqual(
      [],
    );
  });

  it('lets previous data keys only be re-encrypted from, for tenant data keys', () => {
    const previous = ['arn:aws:kms:eu-west-1:111122223333:key/old-1', 'arn:aws:kms:eu-west-1:111122223333:key/old-2'];
    const statements = rotationGrants({ ...ROTATION_TARGETS, sourceKeyArns: [...previous, previous[0]!] });
    const onPrevious = statements.filter((statement) => statement.resources.some((arn) => previous.includes(arn)));
    expect(onPrevious).toEqual([{ actions: ['kms:ReEncryptFrom'], resources: previous, conditions: ANY_TENANT }]);
    expect(statements.filter((statement) => !onPrevious.includes(statement))).toEqual(rotationGrants(ROTATION_TARGETS));
  });
});
