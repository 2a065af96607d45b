import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/**
 * The dead-letter queue of an asynchronous path (construct id `DeadLetterQueue`): encrypted,
 * TLS only, kept 14 days and retained when the stack goes, since what it holds is to be sent again.
 * `holds` says whose failures land in it, for the cdk-nag acknowledgement.
 */
export function retainedDeadLetterQueue(scope: Construct, holds: string): Queue {
  const queue = new Queue(scope, 'DeadLetterQueue', {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
    removalPolicy: RemovalPolicy.RETAIN,
  });
  Validations.of(queue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason: `This queue is the dead-letter queue of ${holds}; a dead-letter queue has no dead-letter queue of its own.`,
  });
  return queue;
}

/** Goes off as soon as one message waits in `queue` (checked every 5 minutes). */
export function deadLetterAlarm(scope: Construct, id: string, queue: Queue, description: string): Alarm {
  return new Alarm(scope, id, {
    alarmDescription: description,
    metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
}
