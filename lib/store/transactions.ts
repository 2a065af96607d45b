import { setTimeout as sleep } from 'node:timers/promises';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * The items of one transaction by name, so a failed condition is reported by what it guards
 * (`failed.includes('header')`) and reordering items cannot change a retry decision. An
 * `undefined` item is left out (say, an owner count that does not move).
 */
export type NamedItems<Name extends string> = Record<Name, TransactItem | undefined>;

/**
 * The transaction item a write adds to complete its idempotency record with its own response,
 * so the record says "done, answer this" if and only if the write committed.
 */
export type CommitHook<Result> = (result: Result) => TransactItem;

/** The name under which a write's transaction carries its idempotency record. */
export const IDEMPOTENCY_ITEM = 'idempotency';

/** Another request took over this write's idempotency key (its lock ran out): the write did not happen. */
export class IdempotencyClaimLostError extends Error {
  constructor() {
    super('The idempotency key was taken over by a retry');
    this.name = 'IdempotencyClaimLostError';
  }
}

/** A transaction whose own conditions failed; `failed` names the failing items. */
export class TransactionConditionFailed<Name extends string = string> extends Error {
  constructor(readonly failed: Name[]) {
    super('Transaction condition failed');
    this.name = 'TransactionConditionFailed';
  }
}

/** TransactWriteItems' most items. */
export const MAX_TRANSACTION_ITEMS = 100;

const MAX_ATTEMPTS = 8;

/**
 * All-or-nothing write. Conflicts with a concurrent transaction on the same items are retried
 * with jittered backoff; a failed condition surfaces as TransactionConditionFailed so the
 * caller can answer 404/409/412 without another read.
 */
export async function transactWrite<Name extends string>(
  ddb: DynamoDBDocumentClient,
  items: NamedItems<Name>,
): Promise<void> {
  const named = (Object.entries(items) as [Name, TransactItem | undefined][]).filter(
    (entry): entry is [Name, TransactItem] => entry[1] !== undefined,
  );
  for (let attempt = 1; ; attempt++) {
    try {
      await ddb.send(new TransactWriteCommand({ TransactItems: named.map(([, item]) => item) }));
      return;
    } catch (error) {
      // Stryker disable next-line ArrayDeclaration: equivalent, a placeholder reason has no Code and so matches neither test below
      const reasons = error instanceof TransactionCanceledException ? (error.CancellationReasons ?? []) : [];
      const failed = reasons.flatMap((reason, index) =>
        reason.Code === 'ConditionalCheckFailed' ? [named[index]![0]] : [],
      );
      if (failed.includes(IDEMPOTENCY_ITEM as Name)) throw new IdempotencyClaimLostError();
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

/**
 * Writers of one record without `If-Match` each retry until theirs lands. One of them wins
 * each round, so the bound must cover many writers; the jittered, capped backoff spreads
 * them out so most land in the first few rounds.
 */
const MAX_WRITE_ATTEMPTS = 25;
const MAX_WRITE_BACKOFF_MS = 64;

/** A record so contended that a write did not land within its attempts: the caller may retry. */
export class WriteContentionError extends Error {
  constructor() {
    super('Too many concurrent writes to one record');
    this.name = 'WriteContentionError';
  }
}

/**
 * What a failed transaction's item names become: the caller's answer, or `undefined` to retry.
 * It may read (say, why a shared item's condition failed) before it answers.
 */
export type FailureAnswer<Name extends string> = (failed: Name[]) => Error | undefined | Promise<Error | undefined>;

/**
 * Optimistic concurrency for read-then-conditional-write: `attempt` reads a record and writes
 * on condition that it is unchanged. A failed condition means someone wrote in between, so the
 * attempt runs again and judges the fresh state (preconditions, invariants) — unless `answer`
 * turns the failed item names into the caller's answer (say a 409 when an invariant, not
 * a race, failed).
 */
export async function retryConditionalWrite<T, Name extends string = string>(
  attempt: () => Promise<T>,
  answer: FailureAnswer<Name> = () => undefined,
): Promise<T> {
  for (let attempts = 1; ; attempts++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof TransactionConditionFailed)) throw error;
      const answered = await answer(error.failed as Name[]);
      if (answered) throw answered;
      if (attempts >= MAX_WRITE_ATTEMPTS) throw new WriteContentionError();
      // Stryker disable next-line ArithmeticOperator,MethodExpression: equivalent, the backoff's length changes timing only
      await sleep(Math.random() * Math.min(MAX_WRITE_BACKOFF_MS, 2 ** attempts));
    }
  }
}

/** The transaction item that writes `item` only if no item has its key yet. */
export function putIfNew({ config }: { config: { tableName: string } }, item: Record<string, unknown>): TransactItem {
  return { Put: { TableName: config.tableName, Item: item, ConditionExpression: 'attribute_not_exists(PK)' } };
}
