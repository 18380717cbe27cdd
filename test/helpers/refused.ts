// Asserts how a request through the AWS SDK fails: the error's type (name) and its whole message.
import assert from 'node:assert/strict';

/** The request fails with this error type and message (a pattern where part of it echoes the request); returns the error. */
export async function refused(promise: Promise<unknown>, name: string, message: string | RegExp): Promise<Error & Record<string, unknown>> {
  let caught: (Error & Record<string, unknown>) | undefined;
  await assert.rejects(promise, (err: Error & Record<string, unknown>) => {
    caught = err;
    assert.equal(err.name, name, err.message);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
  return caught!;
}

/** DynamoDB's message for one request member that fails its constraint. */
export function oneValidationError(detail: string): string {
  return `1 validation error detected: ${detail}`;
}
