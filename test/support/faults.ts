import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { vi } from 'vitest';

/**
 * Injects a DynamoDB fault a real DynamoDB Local will not produce on demand: every document
 * client call goes through, except those `decide` answers with an error, which fail with it.
 * Undone by `vi.restoreAllMocks()`.
 */
export function failDynamoDbCalls(decide: (command: { input: Record<string, unknown> }) => Error | undefined): void {
  const send = DynamoDBDocumentClient.prototype.send;
  vi.spyOn(DynamoDBDocumentClient.prototype, 'send').mockImplementation(function (this: DynamoDBDocumentClient, command: any, ...rest: any[]) {
    const error = decide(command);
    return error ? Promise.reject(error) : (send as any).call(this, command, ...rest);
  } as any);
}
