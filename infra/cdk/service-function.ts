import { join } from 'node:path';
import { Duration, RemovalPolicy, type Stack, Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Alias, Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { type ICommandHooks, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { LAMBDA_BUNDLING } from '../bundling.js';
import { functionEntry, PROJECT_ROOT } from '../paths.js';
import type { GrantTargets, StatementSpec } from './grants.js';

/** The data stack's resources every function of the service works with. */
export interface ServiceData {
  table: ITableV2;
  tableKey: IKey;
  dataKey: IKey;
  /** Encrypts the functions' log groups. */
  operationsKey: IKey;
}

/**
 * The IAM path of every service function's role. The data and table key policies allow use
 * only to roles under it (key-policies.ts explains why a path and not the roles themselves).
 */
export const SERVICE_ROLE_PATH = '/secrets-service/';
/** The alias API Gateway and EventBridge invoke; it points at a published version, never `$LATEST`. */
export const LIVE_ALIAS = 'live';

/** Variables for lib/config.ts that every function gets the same way, whichever stack it is in. */
export function serviceEnvironment(data: ServiceData): Record<string, string> {
  return {
    TABLE_NAME: data.table.tableName,
    KMS_KEY_ID: data.dataKey.keyArn,
    DATA_KEY_CACHE_SECONDS: '300',
    UPSTREAM_TIMEOUT_MS: '3000',
  };
}

/** The ARNs the pure grant derivations (grants.ts) take, as tokens of the given stack. */
export function grantTargets(stack: Stack, data: ServiceData): GrantTargets {
  return {
    tableArn: data.table.tableArn,
    tableKeyArn: data.tableKey.keyArn,
    dataKeyArn: data.dataKey.keyArn,
    region: stack.region,
  };
}

export interface ServiceFunctionProps {
  /** Directory under `functions/` holding `handler.ts`. */
  functionDir: string;
  /** What the function does; describes the function and its role. */
  description: string;
  /** Everything the function may do besides writing its own logs (see grants.ts). */
  statements: readonly StatementSpec[];
  /** Variables for lib/config.ts and lib/http/middleware.ts. */
  environment: Record<string, string>;
  /** Default 15 seconds. */
  timeout?: Duration;
  /** Default 512 MB. */
  memorySize?: number;
  /** Unset: the function shares the account's unreserved concurrency. */
  reservedConcurrency?: number;
  /** Encrypts the log group (the data stack's operations key). */
  logKey: IKey;
  /** Files (paths from the project root) the function reads at run time, copied next to its bundle. */
  bundleFiles?: readonly string[];
}

/** Bundling hooks that copy files, as they are in the project, next to the bundle. */
function copyAfterBundling(files: readonly string[]): ICommandHooks {
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (inputDir, outputDir) =>
      files.map((file) => `cp ${JSON.stringify(join(inputDir, file))} ${JSON.stringify(`${outputDir}/`)}`),
  };
}

/**
 * One Lambda function of the service: its handler bundled as an ESM file, its own log group
 * (encrypted with the operations key, retained), a role holding only the statements it is
 * given — nothing is granted anywhere else — X-Ray tracing, and the `live` alias on the
 * version this deployment published, which is what callers invoke.
 */
export class ServiceFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;
  /** What API Gateway or EventBridge invokes; the API stack shifts it by canary (CodeDeploy). */
  readonly alias: Alias;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: RetentionDays.ONE_MONTH,
      encryptionKey: props.logKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // An own role instead of the default one, whose AWS managed policy may write to any log group.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs ${props.description}`,
      path: SERVICE_ROLE_PATH,
    });
    this.logGroup.grantWrite(this.role);
    for (const statement of props.statements) {
      this.role.addToPrincipalPolicy(new PolicyStatement(statement));
    }

    this.function = new NodejsFunction(this, 'Function', {
      entry: functionEntry(props.functionDir),
      handler: 'handler',
      description: props.description,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(15),
      reservedConcurrentExecutions: props.reservedConcurrency,
      // Function segments only (init, invocation); the AWS SDK calls are not instrumented (docs/deployment.md).
      tracing: Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      // No --enable-source-maps: Node would read and parse the map at every cold start (about
      // 20 ms for a 400 KB bundle). The map ships in the asset for resolving logged frames.
      environment: props.environment,
      // The same esbuild options the benchmark bundles with.
      bundling: {
        format: OutputFormat.ESM,
        target: LAMBDA_BUNDLING.target as string,
        mainFields: LAMBDA_BUNDLING.mainFields,
        minify: LAMBDA_BUNDLING.minify,
        sourceMap: Boolean(LAMBDA_BUNDLING.sourcemap),
        sourcesContent: LAMBDA_BUNDLING.sourcesContent,
        // The SDK version the tests ran against ships in the bundle, not the runtime's copy.
        bundleAwsSDK: true,
        forceDockerBundling: false,
        ...(props.bundleFiles?.length ? { commandHooks: copyAfterBundling(props.bundleFiles) } : {}),
      },
    });

    this.alias = new Alias(this, 'Alias', { aliasName: LIVE_ALIAS, version: this.function.currentVersion });

    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Node.js 22 is the runtime the service is built and tested for; moving to a newer one is a deliberate upgrade.',
    });
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Active tracing adds xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions; nothing else in the role has a wildcard.',
    });
  }
}
