import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';

/**
 * A single conditional write: `true` when it was applied, `false` when its condition did not
 * hold (someone else changed the item first); any other failure is thrown.
 */
export async function whenConditionHolds(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}
