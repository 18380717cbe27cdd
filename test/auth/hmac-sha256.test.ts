import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { HmacSha256Key } from '../../src/auth/hmac-sha256.ts';

test('HmacSha256Key.hex equals createHmac for keys up to a block and messages of every kind', () => {
  const messages = ['', 'a', 'AWS4-HMAC-SHA256\n20261123T201000Z\n20261123/us-east-1/dynamodb/aws4_request\n' + 'f'.repeat(64), 'é✓\u{1F600}', 'x'.repeat(340), 'y'.repeat(5000)];
  for (const keyBytes of [0, 1, 32, 63, 64]) {
    const key = randomBytes(keyBytes);
    const hmac = new HmacSha256Key(key);
    for (const message of messages) {
      assert.equal(hmac.hex(message), createHmac('sha256', key).update(message).digest('hex'), `key ${keyBytes} B, message ${message.length} chars`);
    }
    // The reused buffers carry nothing from one message into the next.
    assert.equal(hmac.hex('short'), createHmac('sha256', key).update('short').digest('hex'));
  }
});

test('HmacSha256Key.hex stays right when messages of one length follow each other and lengths alternate', () => {
  const key = randomBytes(32);
  const hmac = new HmacSha256Key(key);
  // The view of the reused buffer is kept while the length repeats (strings to sign under one key do).
  for (const message of ['aaaa', 'bbbb', 'cc', 'dddd', 'é', 'ab', 'x'.repeat(340), 'y'.repeat(340), 'cc']) {
    assert.equal(hmac.hex(message), createHmac('sha256', key).update(message).digest('hex'), message.slice(0, 8));
  }
});

test('HmacSha256Key refuses a key longer than the block (HMAC would hash it first)', () => {
  assert.throws(() => new HmacSha256Key(randomBytes(65)), RangeError);
});
