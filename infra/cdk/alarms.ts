import type { IAspect } from 'aws-cdk-lib';
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
