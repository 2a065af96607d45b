import { describe, expect, it } from 'vitest';
import { decodeCursor, pageOf } from '../../lib/store/cursor.js';
import { projection, setAll } from '../../lib/store/expressions.js';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { retryConditionalWrite, TransactionConditionFailed, transactWrite } from '../../lib/store/transactions.js';

describe('expressions', () => {
  it('projects through placeholders, so reserved words like key and role are safe', () => {
    expect(projection('key', 'role', 'masked_value')).toEqual({
      ProjectionExpression: '#key, #role, #masked_value',
      ExpressionAttributeNames: { '#key': 'key', '#role': 'role', '#masked_value': 'masked_value' },
    });
  });

  it('sets every attribute given', () => {
    expect(setAll({ description: 'd', version: 2 })).toEqual({
      UpdateExpression: 'SET #description = :description, #version = :version',
      ExpressionAttributeNames: { '#description': 'description', '#version': 'version' },
      ExpressionAttributeValues: { ':description': 'd', ':version': 2 },
    });
  });
});

describe('pageOf', () => {
  const items = ['SECRET#A', 'SECRET#B', 'SECRET#C'].map((SK) => ({ SK }));

  it('shows `limit` items and a cursor after the last shown when the extra item came back', () => {
    const { shown, nextCursor } = pageOf(items, 2);
    expect(shown).toEqual(items.slice(0, 2));
    expect(decodeCursor(nextCursor!, 'SECRET#')).toBe('SECRET#B');
  });

  it('has no next page when no extra item came back', () => {
    expect(pageOf(items, 3)).toEqual({ shown: items, nextCursor: null });
  });

  it('reads the cursor from the named sort key', () => {
    const { nextCursor } = pageOf([{ GSI1SK: 'ENV#1' }, { GSI1SK: 'ENV#2' }], 1, 'GSI1SK');
    expect(decodeCursor(nextCursor!, 'ENV#')).toBe('ENV#1');
  });
});

describe('retryConditionalWrite', () => {
  const conditionalCheckFailed = Object.assign(new Error('failed'), { name: 'ConditionalCheckFailedException' });

  it('re-runs an attempt that lost a race, until it wins', async () => {
    let attempts = 0;
    const result = await retryConditionalWrite(async () => {
      attempts++;
      if (attempts === 1) throw new TransactionConditionFailed([0]);
      if (attempts === 2) throw conditionalCheckFailed;
      return 'written';
    });
    expect(result).toBe('written');
    expect(attempts).toBe(3);
  });

  it('throws what `answer` makes of a failure instead of retrying', async () => {
    let attempts = 0;
    const answer = (failed: number[]) => (failed.includes(0) ? undefined : new Error('last owner'));
    await expect(
      retryConditionalWrite(async () => {
        attempts++;
        throw new TransactionConditionFailed([1]);
      }, answer),
    ).rejects.toThrow('last owner');
    expect(attempts).toBe(1);
  });

  it('hands `answer` position 0 for a single conditional write, and rethrows what is not a condition', async () => {
    const seen: number[][] = [];
    await expect(
      retryConditionalWrite(
        async () => {
          throw conditionalCheckFailed;
        },
        (failed) => (seen.push(failed), new Error('answered')),
      ),
    ).rejects.toThrow('answered');
    expect(seen).toEqual([[0]]);
    let attempts = 0;
    await expect(
      retryConditionalWrite(async () => {
        attempts++;
        throw undefined;
      }),
    ).rejects.toBeUndefined();
    expect(attempts).toBe(1);
  });

  it('names a failed transaction condition by its positions', () => {
    const failed = new TransactionConditionFailed([2]);
    expect([failed.name, failed.message, failed.failed]).toEqual(['TransactionConditionFailed', 'Transaction condition failed', [2]]);
  });

  it('gives up after a bounded number of attempts, and never retries other errors', async () => {
    let attempts = 0;
    await expect(
      retryConditionalWrite(async () => {
        attempts++;
        throw new TransactionConditionFailed([0]);
      }),
    ).rejects.toBeInstanceOf(TransactionConditionFailed);
    expect(attempts).toBe(5);
    attempts = 0;
    await expect(
      retryConditionalWrite(async () => {
        attempts++;
        throw new TypeError('bug');
      }),
    ).rejects.toBeInstanceOf(TypeError);
    expect(attempts).toBe(1);
  });
});

describe('transactWrite', () => {
  const cancelled = (...codes: string[]) =>
    new TransactionCanceledException({ message: 'cancelled', $metadata: {}, CancellationReasons: codes.map((Code) => ({ Code })) });

  /** A client whose transactions fail with `failures`, in order, then succeed: faults DynamoDB will not produce on demand. */
  function clientFailing(...failures: Error[]) {
    const sent: unknown[] = [];
    const ddb = {
      send: async (command: { input: unknown }) => {
        sent.push(command.input);
        const failure = failures.shift();
        if (failure) throw failure;
        return {};
      },
    } as unknown as DynamoDBDocumentClient;
    return { ddb, sent };
  }
  const items = [{ ConditionCheck: { TableName: 't', Key: { PK: 'a', SK: 'b' }, ConditionExpression: 'attribute_exists(PK)' } }];

  it('sends the items as one transaction', async () => {
    const { ddb, sent } = clientFailing();
    await transactWrite(ddb, items);
    expect(sent).toEqual([{ TransactItems: items }]);
  });

  it('names the positions of the items whose condition failed, without retrying', async () => {
    const { ddb, sent } = clientFailing(cancelled('None', 'ConditionalCheckFailed', 'None', 'ConditionalCheckFailed'));
    await expect(transactWrite(ddb, items)).rejects.toEqual(new TransactionConditionFailed([1, 3]));
    expect(sent).toHaveLength(1);
  });

  it('retries a conflict with another transaction, by reason or by exception, until it commits', async () => {
    const conflict = Object.assign(new Error('conflict'), { name: 'TransactionConflictException' });
    const { ddb, sent } = clientFailing(cancelled('None', 'TransactionConflict'), conflict);
    await transactWrite(ddb, items);
    expect(sent).toHaveLength(3);
  });

  it('gives up on conflicts after eight attempts and never retries other failures', async () => {
    const conflicts = Array.from({ length: 9 }, () => cancelled('TransactionConflict'));
    const { ddb, sent } = clientFailing(...conflicts);
    await expect(transactWrite(ddb, items)).rejects.toBeInstanceOf(TransactionCanceledException);
    expect(sent).toHaveLength(8);

    const throttled = clientFailing(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
    await expect(transactWrite(throttled.ddb, items)).rejects.toThrow('slow down');
    expect(throttled.sent).toHaveLength(1);
    const validation = clientFailing(cancelled('ValidationError'));
    await expect(transactWrite(validation.ddb, items)).rejects.toBeInstanceOf(TransactionCanceledException);
    expect(validation.sent).toHaveLength(1);
  });
});
