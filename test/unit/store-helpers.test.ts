import { describe, expect, it } from 'vitest';
import { decodeCursor, pageOf } from '../../lib/store/cursor.js';
import { projection, setAll } from '../../lib/store/expressions.js';
import { retryConditionalWrite, TransactionConditionFailed } from '../../lib/store/transactions.js';

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

  it('gives up after a bounded number of attempts, and never retries other errors', async () => {
    let attempts = 0;
    await expect(
      retryConditionalWrite(async () => {
        attempts++;
        throw new TransactionConditionFailed([0]);
      }),
    ).rejects.toBeInstanceOf(TransactionConditionFailed);
    expect(attempts).toBe(5);
    await expect(retryConditionalWrite(async () => Promise.reject(new TypeError('bug')))).rejects.toBeInstanceOf(TypeError);
  });
});
