import { App, Stack, Validations } from 'aws-cdk-lib';
import { type CfnRoute, HttpRoute } from 'aws-cdk-lib/aws-apigatewayv2';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { endpointGroupOf, OTHER_ENDPOINTS } from '../../infra/cdk/endpoint-groups.js';
import { addSecretsStacks, type SecretsStacks } from '../../infra/cdk/secrets-app.js';
import { ROUTES, type RouteDefinition, routeKey } from '../../infra/routes.js';
import {
  CDK_CONTEXT,
  dataProducers,
  JWT,
  REGION,
  resourceOf,
  statementsOf,
  synthesizedApp,
  templateOf,
} from './fixture.js';

/**
 * The app built from other route tables than ROUTES: one with a service-token route, and one
 * as large as the table is expected to grow. Also CloudFormation's limits per template with
 * ROUTES itself.
 */

/**
 * The service's app for a route table, synthesized without bundling (`aws:cdk:bundling-stacks`),
 * so a synthetic route may reuse a real handler directory.
 */
function synthesize(routes: readonly RouteDefinition[]): { app: App; stacks: SecretsStacks } {
  const app = new App({ context: { ...CDK_CONTEXT, ...JWT, region: REGION, 'aws:cdk:bundling-stacks': [] } });
  const stacks = addSecretsStacks(app, routes);
  // Also runs cdk-nag, which fails synthesis on any unacknowledged finding.
  app.synth();
  return { app, stacks };
}

function route(fn: string): RouteDefinition {
  const found = ROUTES.find((entry) => entry.function === fn);
  if (!found) throw new Error(`no route for ${fn}`);
  return found;
}

/** CloudFormation's limits per template. */
const TEMPLATE_LIMITS = { Resources: 500, Outputs: 200, Parameters: 200 };

/**
 * The templates of the app, the API's nested stacks included, that have as many resources,
 * outputs or parameters as `limits` allow.
 */
function limitsReached(app: App, limits: typeof TEMPLATE_LIMITS): string[] {
  const reached: string[] = [];
  for (const stack of app.node.findAll().filter((construct): construct is Stack => Stack.isStack(construct))) {
    const template = templateOf(stack).toJSON();
    for (const [section, limit] of Object.entries(limits)) {
      const count = Object.keys(template[section] ?? {}).length;
      if (count >= limit) reached.push(`${stack.node.path}: ${count} ${section}`);
    }
  }
  return reached;
}

describe('a service-token route', () => {
  /** The user inject route's entry, called with a service token (not one of ROUTES, whatever they hold). */
  const SERVICE_ROUTE: RouteDefinition = {
    ...route('inject-user-secrets'),
    path: '/api/service/synthetic-env',
    auth: 'service-token',
  };
  const routes = [...ROUTES, SERVICE_ROUTE];
  let app: App;
  let stacks: SecretsStacks;

  beforeAll(() => {
    ({ app, stacks } = synthesize(routes));
  });

  it('has no authorizer in API Gateway, while every JWT route keeps the JWT authorizer', () => {
    const api = templateOf(stacks.api);
    const [authorizerId] = Object.keys(api.findResources('AWS::ApiGatewayV2::Authorizer'));
    const byKey = new Map(
      Object.values(api.findResources('AWS::ApiGatewayV2::Route')).map((resource) => [
        resource.Properties.RouteKey,
        resource.Properties,
      ]),
    );
    expect(byKey.get(routeKey(SERVICE_ROUTE))).toEqual(expect.objectContaining({ AuthorizationType: 'NONE' }));
    expect(byKey.get(routeKey(SERVICE_ROUTE))).not.toHaveProperty('AuthorizerId');
    for (const entry of routes.filter((candidate) => candidate.auth !== 'service-token')) {
      expect(byKey.get(routeKey(entry)), routeKey(entry)).toMatchObject({
        AuthorizationType: 'JWT',
        AuthorizerId: { Ref: authorizerId },
      });
    }
    const unauthenticated = [...byKey].filter(([, route]) => route.AuthorizationType === 'NONE').map(([key]) => key);
    expect(unauthenticated.sort()).toEqual(
      ['$default', ...routes.filter((entry) => entry.auth === 'service-token').map(routeKey)].sort(),
    );
  });

  it('is acknowledged for cdk-nag on the unauthenticated routes alone, with nothing else left open', () => {
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(report.violations.map((violation) => violation.ruleName)).toEqual([]);
    const apig4 = app.node
      .findAll()
      .filter((construct) =>
        construct.node.metadata.some(
          (entry) =>
            entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY &&
            Object.keys(entry.data as object).some((rule) => rule.endsWith('AwsSolutions-APIG4')),
        ),
      );
    const serviceTokenKeys = routes.filter((entry) => entry.auth === 'service-token').map(routeKey);
    const serviceTokenRoutes = stacks.api.api.node.children.filter(
      (child): child is HttpRoute =>
        child instanceof HttpRoute && serviceTokenKeys.includes((child.node.defaultChild as CfnRoute).routeKey),
    );
    expect(serviceTokenRoutes.map((child) => child.path)).toContain(SERVICE_ROUTE.path);
    expect(apig4.map((construct) => construct.node.path).sort()).toEqual(
      [stacks.api.node.findChild('UnmatchedRoute'), ...serviceTokenRoutes]
        .map((construct) => construct.node.path)
        .sort(),
    );
  });

  it('is otherwise like any route: its grants, its limits, its canary', () => {
    const endpoint = stacks.api.endpoints.get(SERVICE_ROUTE)!;
    const original = stacks.api.endpoints.get(route('inject-user-secrets'))!;
    expect(Stack.of(endpoint).node.id).toBe(OTHER_ENDPOINTS);
    const producers = dataProducers(stacks);
    expect(statementsOf(endpoint, producers)).toEqual(statementsOf(original, producers));
    expect(resourceOf(endpoint.function).Properties.ReservedConcurrentExecutions).toBe(
      SERVICE_ROUTE.limits?.reservedConcurrency,
    );
    const [stage] = Object.values(templateOf(stacks.api).findResources('AWS::ApiGatewayV2::Stage'));
    expect(stage?.Properties.RouteSettings[routeKey(SERVICE_ROUTE)]).toEqual({
      ThrottlingRateLimit: SERVICE_ROUTE.limits?.rateLimit,
      ThrottlingBurstLimit: SERVICE_ROUTE.limits?.burstLimit,
    });
    expect(stacks.api.deployments.filter((deployment) => deployment.groups.has(endpoint))).toHaveLength(1);
  });
});

describe('template limits', () => {
  it('are far off with the route table as it is', () => {
    const { app, stacks } = synthesizedApp();
    expect(stacks.api.endpointStacks.size).toBeGreaterThan(1);
    expect(limitsReached(app, { ...TEMPLATE_LIMITS, Resources: 400 })).toEqual([]);
  });

  describe('with 40 more routes', () => {
    /** Copies of the real entries, spread over the families as the real ones are. */
    const ROUTES_TO_COME: RouteDefinition[] = Array.from({ length: 40 }, (_, index) => {
      const original = ROUTES[index % ROUTES.length]!;
      return { ...original, path: `${original.path}/synthetic-${index}` };
    });
    let stacks: SecretsStacks;
    let app: App;

    beforeAll(() => {
      // The new routes first: a grouping by position in the table would move every function.
      ({ app, stacks } = synthesize([...ROUTES_TO_COME, ...ROUTES]));
    });

    it('are not reached', () => {
      expect(limitsReached(app, TEMPLATE_LIMITS)).toEqual([]);
    });

    it('leave every existing function where it was, in the nested stack of its group', () => {
      const { stacks: current } = synthesizedApp();
      for (const entry of ROUTES) {
        const endpoint = stacks.api.endpoints.get(entry)!;
        // Same stack and same construct path: the same logical id, so no replacement.
        expect(endpoint.node.path, routeKey(entry)).toBe(current.api.endpoints.get(entry)?.node.path);
        expect(Stack.of(endpoint).node.id, routeKey(entry)).toBe(endpointGroupOf(entry));
      }
    });
  });
});
