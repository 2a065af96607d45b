import { fileURLToPath } from 'node:url';
import { Duration, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { RouteDefinition } from '../routes.js';
import { type GrantTargets, routeGrants } from './grants.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface EndpointFunctionProps {
  route: RouteDefinition;
  grants: GrantTargets;
  /** Variables for lib/config.ts and lib/http/middleware.ts. */
  environment: Record<string, string>;
}

/**
 * The Lambda function behind one route: its handler bundled as an ESM file, its own log
 * group, and a role holding only the statements derived from the route entry.
 */
export class EndpointFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: EndpointFunctionProps) {
    super(scope, id);
    const { route } = props;

    this.logGroup = new LogGroup(this, 'Logs', { retention: RetentionDays.ONE_MONTH });

    // An own role instead of the default one, whose AWS managed policy may write to any log group.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs ${route.method} ${route.path}`,
    });
    this.logGroup.grantWrite(this.role);
    for (const statement of routeGrants(route, props.grants)) {
      this.role.addToPrincipalPolicy(new PolicyStatement(statement));
    }

    this.function = new NodejsFunction(this, 'Function', {
      entry: `${REPO_ROOT}functions/${route.function}/handler.ts`,
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: `${REPO_ROOT}package-lock.json`,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: 512,
      // Room for a few upstream calls with retries, each bounded by UPSTREAM_TIMEOUT_MS, while
      // staying under the HTTP API's 30 s integration timeout.
      timeout: Duration.seconds(15),
      role: this.role,
      logGroup: this.logGroup,
      environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
      bundling: {
        format: OutputFormat.ESM,
        mainFields: ['module', 'main'],
        minify: true,
        sourceMap: true,
        // The SDK version the tests ran against ships in the bundle, not the runtime's copy.
        bundleAwsSDK: true,
        forceDockerBundling: false,
      },
    });

    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'Node.js 22 is the runtime the service is built and tested for; moving to a newer one is a deliberate upgrade.',
    });
  }
}
