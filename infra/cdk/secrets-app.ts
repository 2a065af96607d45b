import { type App, Aspects, Validations } from 'aws-cdk-lib';
import { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { AwsSolutionsChecks } from 'cdk-nag';
import { type RouteDefinition, SERVED_ROUTES } from '../routes.js';
import { NotifyOnAlarms } from './alarms.js';
import { ApiStack } from './api-stack.js';
import { DataStack } from './data-stack.js';
import { EventsStack } from './events-stack.js';
import { MonitoringStack } from './monitoring-stack.js';
import { RotationStack } from './rotation-stack.js';
import { readSettings } from './settings.js';

export interface SecretsStacks {
  data: DataStack;
  api: ApiStack;
  rotation: RotationStack;
  events: EventsStack;
  monitoring: MonitoringStack;
}

/**
 * Adds the service's stacks to an app. The account is left open, so `cdk synth` needs no
 * credentials and `cdk deploy` uses the caller's account. The region must be concrete because
 * a customer-managed table key is rendered per region: it is `-c region=…`, else the CLI's
 * region (`CDK_DEFAULT_REGION`), else us-east-1.
 * Stateful resources live only in the data stack; the API and rotation stacks take what they
 * need from it, and the monitoring stack (the dashboard) reads all three.
 * `routes` is the route table; the template tests also try larger ones.
 */
export function addSecretsStacks(app: App, routes: readonly RouteDefinition[] = SERVED_ROUTES): SecretsStacks {
  const env = { region: app.node.tryGetContext('region') ?? process.env.CDK_DEFAULT_REGION ?? 'us-east-1' };
  const settings = readSettings(app.node);
  const data = new DataStack(app, 'SecretsData', {
    env,
    description: 'Secrets service: table, KMS keys and alarm topic (termination-protected, retained)',
    keyAdminRoleArns: settings.keyAdminRoleArns,
    alarmEmails: settings.alarmEmails,
  });
  const serviceData = {
    table: data.table,
    tableKey: data.tableKey,
    dataKey: data.dataKey,
    operationsKey: data.operationsKey,
  };
  const api = new ApiStack(app, 'SecretsApi', {
    env,
    description: 'Secrets service: HTTP API and endpoint functions',
    routes,
    settings,
    ...serviceData,
  });
  const rotation = new RotationStack(app, 'SecretsRotation', {
    env,
    description: 'Secrets service: event-driven tenant key rotation',
    sourceKeyArns: settings.rotationSourceKeyArns,
    ...serviceData,
  });
  const events = new EventsStack(app, 'SecretsEvents', {
    env,
    description: 'Secrets service: change events from the table stream to EventBridge',
    ...serviceData,
  });
  const alarms = app.node.findAll().filter((construct): construct is Alarm => construct instanceof Alarm);
  const monitoring = new MonitoringStack(app, 'SecretsMonitoring', {
    env,
    description: 'Secrets service: dashboard',
    data,
    api,
    rotation,
    alarms,
  });
  // Every alarm, in every stack, notifies the alarm topic when it goes off and when it clears.
  Aspects.of(app).add(new NotifyOnAlarms(data.alarmTopic));
  // Any unacknowledged AWS Solutions finding fails synthesis.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { data, api, rotation, events, monitoring };
}
