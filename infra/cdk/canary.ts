import { Duration, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, type IAlarm, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { type ILambdaApplication, LambdaDeploymentConfig, LambdaDeploymentGroup } from 'aws-cdk-lib/aws-codedeploy';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { functionAlarmName } from './alarms.js';
import type { ServiceFunction } from './service-function.js';

/**
 * How a new version reaches traffic: 10% of requests for 10 minutes, then all. Ten minutes
 * let the 5-minute 5xx alarms see the canary, not only the per-function error alarm.
 */
const DEPLOYMENT_CONFIG = LambdaDeploymentConfig.CANARY_10PERCENT_10MINUTES;

export interface CanaryOptions {
  application: ILambdaApplication;
  /** The alarms every deployment rolls back on, besides the function's own error alarm. */
  rollbackAlarms: readonly IAlarm[];
  /** Keep the canary but do not roll back on alarms (settings.ts, `ignoreRollbackAlarms`). */
  ignoreRollbackAlarms: boolean;
}

export interface CanaryDeployments {
  /** CodeDeploy's role for these groups: alias updates of exactly these functions, reading alarms. */
  role: Role;
  groups: ReadonlyMap<ServiceFunction, LambdaDeploymentGroup>;
}

/**
 * Deploys each of one stack's functions by canary: its own error alarm (crashes, timeouts,
 * init failures through its alias, per minute, so a broken canary is caught within its first
 * minutes) and its deployment group. One CodeDeploy role per stack (the API stack and each of
 * its nested stacks) rather than one for all: its policy names only functions of its own
 * stack, so no ARN has to be passed between stacks (two per function, against a template's
 * 200 outputs), and a function gets its deployment group and its place in the policy in the
 * same stack update.
 */
export function deployByCanary(
  scope: Construct,
  functions: readonly ServiceFunction[],
  options: CanaryOptions,
): CanaryDeployments {
  const role = new Role(scope, 'DeploymentRole', {
    assumedBy: new ServicePrincipal('codedeploy.amazonaws.com'),
    description: 'CodeDeploy: shifts the live aliases of the secrets API functions',
  });
  const { ignoreRollbackAlarms } = options;
  const groups = new Map<ServiceFunction, LambdaDeploymentGroup>();
  for (const fn of functions) {
    const errors = new Alarm(fn, 'ErrorsAlarm', {
      alarmName: functionAlarmName(fn, 'Errors'),
      alarmDescription: `${fn.function.node.path}: invocations through the live alias failed (crash, timeout or init error)`,
      metric: fn.alias.metricErrors({ period: Duration.minutes(1), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    const group = new LambdaDeploymentGroup(fn, 'Deployment', {
      application: options.application,
      alias: fn.alias,
      deploymentConfig: DEPLOYMENT_CONFIG,
      alarms: [errors, ...options.rollbackAlarms],
      ignoreAlarmConfiguration: ignoreRollbackAlarms,
      autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: !ignoreRollbackAlarms },
      // The role's permissions are the inline policy below; without this the group would attach
      // AWSCodeDeployRoleForLambdaLimited, which may update any alias in the account.
      role: role.withoutPolicyUpdates(),
    });
    groups.set(fn, group);
  }

  role.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['lambda:GetAlias', 'lambda:UpdateAlias', 'lambda:GetProvisionedConcurrencyConfig'],
      resources: functions.flatMap((fn) => [fn.function.functionArn, fn.alias.functionArn]),
    }),
  );
  role.addToPrincipalPolicy(new PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: ['*'] }));
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'CodeDeploy reads the rollback alarms with cloudwatch:DescribeAlarms, as in AWSCodeDeployRoleForLambdaLimited; it returns alarm configuration only, and a scope CodeDeploy does not expect would stop every deployment.',
  });
  return { role, groups };
}
