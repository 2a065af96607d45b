import { KMSClient } from '@aws-sdk/client-kms';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { vi } from 'vitest';

/** Sends the intercepted command on to the real client. */
export type RealSend = () => Promise<any>;

/**
 * Runs every call of every client of one kind through `around`, which decides whether, when
 * and with what answer the real call goes out: to inject a fault a real DynamoDB Local or KMS
 * will not produce on demand, hold calls back to stage a race, or watch what is sent.
 * Undone by `vi.restoreAllMocks()`.
 */
function interceptSend(
  prototype: { send: (...args: any[]) => Promise<any> },
  around: (command: any, send: RealSend) => Promise<unknown>,
) {
  const send = prototype.send;
  vi.spyOn(prototype, 'send').mockImplementation(function (this: unknown, command: any, ...rest: any[]) {
    return around(command, () => send.call(this, command, ...rest));
  } as never);
}

export function aroundDynamoDbCalls(around: (command: any, send: RealSend) => Promise<unknown>): void {
  interceptSend(DynamoDBDocumentClient.prototype, around);
}

export function aroundKmsCalls(around: (command: any, send: RealSend) => Promise<unknown>): void {
  interceptSend(KMSClient.prototype, around);
}

/** Every document client call goes through, except those `decide` answers with an error, which fail with it. */
export function failDynamoDbCalls(decide: (command: { input: Record<string, unknown> }) => Error | undefined): void {
  aroundDynamoDbCalls((command, send) => {
    const error = decide(command);
    return error ? Promise.reject(error) : send();
  });
}
