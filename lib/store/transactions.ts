import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** A transaction whose own conditions failed; `failed` holds the positions of the failing items. */
export class TransactionConditionFailed extends Error {
  constructor(readonly failed: number[]) {
    super('Transaction condition failed');
    this.name = 'TransactionConditionFailed';
  }
}

const MAX_ATTEMPTS = 8;

/**
 * All-or-nothing write. Conflicts with a concurrent transaction on the same items are retried
 * with jittered backoff; a failed condition surfaces as TransactionConditionFailed so the
 * caller can answer 404/409/412 without another read.
 */
export async function transactWrite(ddb: DynamoDBDocumentClient, items: TransactItem[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await ddb.send(new TransactWriteCommand({ TransactItems: items }));
      return;
    } catch (error) {
      // Stryker disable next-line ArrayDeclaration: equivalent, a placeholder reason has no Code and so matches neither test below
      const reasons = error instanceof TransactionCanceledException ? (error.CancellationReasons ?? []) : [];
      const failed = reasons.flatMap((reason, index) => (reason.Code === 'ConditionalCheckFailed' ? [index] : []));
      if (failed.length > 0) {
        throw new TransactionConditionFailed(failed);
      }
      const conflicted =
        (error as Error).name === 'TransactionConflictException' ||
        reasons.some((reason) => reason.Code === 'TransactionConflict');
      if (!conflicted || attempt >= MAX_ATTEMPTS) throw error;
      // Stryker disable next-line ArithmeticOperator: equivalent, the backoff's length changes timing only
      await sleep(Math.random() * 10 * 2 ** attempt);
    }
  }
}

const MAX_WRITE_ATTEMPTS = 5;

/**
 * Optimistic concurrency for read-then-conditional-write: `attempt` reads a record and writes
 * on condition that it is unchanged. A failed condition means someone wrote in between, so the
 * attempt runs again and judges the fresh state (preconditions, invariants) — unless `answer`
 * turns the failed item positions into the caller's answer (say a 409 when an invariant, not
 * a race, failed).
 */
export async function retryConditionalWrite<T>(
  attempt: () => Promise<T>,
  answer: (failed: number[]) => Error | undefined = () => undefined,
): Promise<T> {
  for (let attempts = 1; ; attempts++) {
    try {
      return await attempt();
    } catch (error) {
      const failed = failedConditions(error);
      if (!failed || attempts >= MAX_WRITE_ATTEMPTS) throw error;
      const answered = answer(failed);
      if (answered) throw answered;
    }
  }
}

/** Positions of the items whose condition failed: a transaction's, or `[0]` for a single write. */
function failedConditions(error: unknown): number[] | undefined {
  if (error instanceof TransactionConditionFailed) return error.failed;
  return (error as Error | undefined)?.name === 'ConditionalCheckFailedException' ? [0] : undefined;
}
