// Asserting that an SDK call failed as DynamoDB fails it: the error type, its exact message and a 400.
import assert from 'node:assert/strict';

export async function expectDynamoError(promise: Promise<unknown>, name: string, message: string): Promise<void> {
  await assert.rejects(promise, (err: Error & { $metadata?: { httpStatusCode?: number } }) => {
    assert.equal(err.name, name, `expected ${name}, got ${err.name}: ${err.message}`);
    assert.equal(err.message, message);
    assert.equal(err.$metadata?.httpStatusCode, 400);
    return true;
  });
}
