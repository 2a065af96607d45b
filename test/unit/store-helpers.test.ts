import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it, vi } from 'vitest';
import { decodeCursor, pageOf } from '../../lib/store/cursor.js';
import { projection, setAll } from '../../lib/store/expressions.js';
import {
  retryConditionalWrite,
  TransactionConditionFailed,
  transactWrite,
  WriteContentionError,
} from '../../lib/store/transactions.js';

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
  it('re-runs an attempt that lost a race, until it wins', async () => {
    let attempts = 0;
    const result = await retryConditionalWrite(async () => {
      attempts++;
      if (attempts < 3) throw new TransactionConditionFailed(['secret']);
      return 'written';
    });
    expect(result).toBe('written');
    expect(attempts).toBe(3);
  });

  it('throws what `answer` makes of the failed item names instead of retrying', async () => {
    let attempts = 0;
    const seen: string[][] = [];
    const answer = (failed: ('member' | 'owners')[]) => {
      seen.push(failed);
      return failed.includes('member') ? undefined : new Error('last owner');
    };
    await expect(
      retryConditionalWrite(async () => {
        attempts++;
        throw new TransactionConditionFailed(attempts === 1 ? ['member', 'owners'] : ['owners']);
      }, answer),
    ).rejects.toThrow('last owner');
    expect(attempts).toBe(2);
    expect(seen).toEqual([['member', 'owners'], ['owners']]);
  });

  it('rethrows at once what is not a failed transaction condition, a single write’s included', async () => {
    const conditionalCheckFailed = Object.assign(new Error('failed'), { name: 'ConditionalCheckFailedException' });
    for (const thrown of [conditionalCheckFailed, undefined]) {
      let attempts = 0;
      const answer = vi.fn(() => new Error('answered'));
      await expect(
        retryConditionalWrite(async () => {
          attempts++;
          throw thrown;
        }, answer),
      ).rejects.toBe(thrown);
      expect(attempts).toBe(1);
      expect(answer).not.toHaveBeenCalled();
    }
  });

  it('names a failed transaction condition by its items', () => {
    const failed = new TransactionConditionFailed(['header']);
    expect([failed.name, failed.message, failed.failed]).toEqual([
      'TransactionConditionFailed',
      'Transaction condition failed',
      ['header'],
    ]);
  });

  it('gives up after a bounded number of attempts as contention, and never retries other errors', async () => {
    let attempts = 0;
    await expect(
      retryConditionalWrite(async () => {
        attempts++;
        throw new TransactionConditionFailed(['secret']);
      }),
    ).rejects.toBeInstanceOf(WriteContentionError);
    expect(attempts).toBe(25);
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
    new TransactionCanceledException({
      message: 'cancelled',
      $metadata: {},
      CancellationReasons: codes.map((Code) => ({ Code })),
    });

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
  const check = (SK: string) => ({
    ConditionCheck: { TableName: 't', Key: { PK: 'a', SK }, ConditionExpression: 'attribute_exists(PK)' },
  });
  const items = { first: check('1'), second: check('2'), third: check('3'), fourth: check('4') };

  it('sends the named items as one transaction, in order, leaving out undefined ones', async () => {
    const { ddb, sent } = clientFailing();
    await transactWrite(ddb, { first: check('1'), skipped: undefined, last: check('2') });
    expect(sent).toEqual([{ TransactItems: [check('1'), check('2')] }]);
  });

  it('names the items whose condition failed, without retrying', async () => {
    const { ddb, sent } = clientFailing(cancelled('None', 'ConditionalCheckFailed', 'None', 'ConditionalCheckFailed'));
    await expect(transactWrite(ddb, items)).rejects.toEqual(new TransactionConditionFailed(['second', 'fourth']));
    expect(sent).toHaveLength(1);
  });

  it('names failures by the items actually sent when some were left out', async () => {
    const { ddb } = clientFailing(cancelled('None', 'ConditionalCheckFailed'));
    await expect(transactWrite(ddb, { first: check('1'), skipped: undefined, last: check('2') })).rejects.toEqual(
      new TransactionConditionFailed(['last']),
    );
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
