import { type IAspect, Stack } from 'aws-cdk-lib';
import { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IConstruct } from 'constructs';

/**
 * Makes every alarm of the app notify the alarm topic when it goes off and when it clears.
 * An aspect rather than a call at each alarm, so an alarm added later cannot be forgotten;
 * the template tests check that every alarm in every stack has both actions.
 */
export class NotifyOnAlarms implements IAspect {
  constructor(private readonly topic: ITopic) {}

  visit(node: IConstruct): void {
    if (!(node instanceof Alarm)) return;
    const action = new SnsAction(this.topic);
    node.addAlarmAction(action);
    node.addOkAction(action);
  }
}

/**
 * The fixed name of one of a function's alarms, after its top-level stack and its construct
 * id: `SecretsApi-GetApiEnvironmentsId-Errors`. Every route brings two alarms; with fixed names
 * the dashboard shows them by name, where a generated name would have to be read from the API
 * stack, one of its at most 200 outputs each.
 */
export function functionAlarmName(fn: IConstruct, signal: 'Errors' | 'Throttles'): string {
  let stack = Stack.of(fn);
  while (stack.nestedStackParent) stack = stack.nestedStackParent;
  return `${stack.stackName}-${fn.node.id}-${signal}`;
}
