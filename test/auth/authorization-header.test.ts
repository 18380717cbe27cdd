// The Authorization header parser and its cache give what the former regex-based parse gave, for
// every separator, malformed part and repeat: a cached header is never a different header.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthorizationHeaderCache } from '../../src/auth/authorization-header.ts';
import { DynamoError } from '../../src/protocol/errors.ts';
import { Random } from '../replication/sim/random.ts';

/** The parse as sigv4.ts did it before the cache (split on /[\s,]+/), as the reference. */
function reference(text: string): { algorithm: string; credentialText?: string; signedHeaders?: string; signature?: string } | { error: string } {
  const space = text.indexOf(' ');
  const algorithm = space === -1 ? text : text.slice(0, space);
  const out: { algorithm: string; credentialText?: string; signedHeaders?: string; signature?: string } = { algorithm };
  if (space !== -1) {
    for (const part of text.slice(space + 1).split(/[\s,]+/)) {
      if (part === '') continue;
      const eq = part.indexOf('=');
      if (eq === -1) return { error: `'${part}' not a valid key=value pair (missing equal-sign) in Authorization header: '${text}'.` };
      const name = part.slice(0, eq);
      const value = part.slice(eq + 1);
      if (name === 'Credential') out.credentialText = value;
      else if (name === 'SignedHeaders') out.signedHeaders = value;
      else if (name === 'Signature') out.signature = value;
    }
  }
  return out;
}

function parsed(cache: AuthorizationHeaderCache, text: string): ReturnType<typeof reference> {
  try {
    const p = cache.parse(text);
    if ('components' in p) {
      const c = p.components;
      assert.deepEqual(c.signedHeaderNames, c.signedHeaders.split(';'));
      assert.equal(c.hostSigned, c.signedHeaders.split(';').includes('host'));
      return { algorithm: c.algorithm, credentialText: c.credentialText, signedHeaders: c.signedHeaders, signature: p.signature };
    }
    const out: ReturnType<typeof reference> = { algorithm: p.algorithm };
    if (p.credentialText !== undefined) out.credentialText = p.credentialText;
    if (p.signedHeaders !== undefined) out.signedHeaders = p.signedHeaders;
    if (p.signature !== undefined) out.signature = p.signature;
    return out;
  } catch (err) {
    assert.ok(err instanceof DynamoError);
    assert.equal(err.kind.name, 'IncompleteSignatureException');
    return { error: err.message };
  }
}

const good = (sig: string, sep = ', ') => `AWS4-HMAC-SHA256 Credential=local/20260304/us-east-1/dynamodb/aws4_request${sep}SignedHeaders=host;x-amz-date${sep}Signature=${sig}`;

test('every code point /[\\s,]/ matches separates components, and no other', () => {
  const cache = new AuthorizationHeaderCache();
  for (let c = 0; c < 0x10000; c++) {
    const text = good('ab12', String.fromCharCode(c));
    assert.deepEqual(parsed(cache, text), reference(text), `separator U+${c.toString(16)}`);
  }
});

test('repeats are answered from the cache with their own signature; malformed headers are not kept', () => {
  const cache = new AuthorizationHeaderCache();
  assert.deepEqual(parsed(cache, good('aaaa')), reference(good('aaaa')));
  assert.equal(cache.size, 1);
  assert.deepEqual(parsed(cache, good('bbbb')), reference(good('bbbb')));
  assert.equal(cache.size, 1, 'same header but for the signature: one entry');
  // An empty signature shares the key of the cached header but is missing.
  assert.deepEqual(parsed(cache, good('')), reference(good('')));
  assert.equal((cache.parse(good('')) as { signature?: string }).signature, '');
  // Two Signature components, one embedded in another name, signature first, no space at all.
  for (const text of [
    `${good('aaaa')}, Signature=cccc`,
    `AWS4-HMAC-SHA256 XSignature=1, Credential=a, SignedHeaders=host, Signature=2`,
    `AWS4-HMAC-SHA256 Signature=9,Credential=a,SignedHeaders=host`,
    `AWS4-HMAC-SHA256 Signature=9 Credential=a SignedHeaders=host Bogus`,
    `AWS4-HMAC-SHA256`,
    `Signature=1`,
  ]) {
    assert.deepEqual(parsed(cache, text), reference(text), text);
    assert.deepEqual(parsed(cache, text), reference(text), `${text} (again)`);
  }
});

test('random headers from a small alphabet parse as the reference does, first time and repeated', () => {
  const random = new Random(17);
  const cache = new AuthorizationHeaderCache(8);
  const pieces = ['AWS4-HMAC-SHA256', ' ', ',', '\t', '\u00a0', '=', 'Signature=', 'Credential=', 'SignedHeaders=', 'host', ';', 'a', 'x', 'Signature', '/'];
  const seen: string[] = [];
  for (let n = 0; n < 20_000; n++) {
    let text: string;
    if (seen.length > 0 && random.chance(0.3)) text = seen[random.int(0, seen.length - 1)];
    else {
      text = '';
      const length = random.int(1, 12);
      for (let i = 0; i < length; i++) text += pieces[random.int(0, pieces.length - 1)];
      seen.push(text);
    }
    assert.deepEqual(parsed(cache, text), reference(text), JSON.stringify(text));
  }
  assert.ok(cache.size <= 8, 'the cache is bounded');
});

test('a kept signature-last prefix answers only itself followed by lower-case hex, as the full parse would', () => {
  const cache = new AuthorizationHeaderCache();
  assert.deepEqual(parsed(cache, good('ab12')), reference(good('ab12')));
  assert.equal(cache.recentSize, 1);
  const tails = [
    '0', 'f'.repeat(64), '0123456789abcdef', 'ABCD', 'aBcd', 'g', 'ab-12', '', 'ab12 ', 'ab12\t', 'ab12\u00a0',
    'ab12, Credential=other/20260304/us-east-1/dynamodb/aws4_request', 'ab12,SignedHeaders=x-amz-date', 'ab12 Signature=cd',
    'ab12Signature=cd', 'ab12, Bogus',
  ];
  for (const tail of tails) {
    const text = good(tail);
    assert.deepEqual(parsed(cache, text), reference(text), JSON.stringify(tail));
    assert.deepEqual(parsed(cache, text), reference(text), `${JSON.stringify(tail)} (again)`);
  }
  // A prefix that differs anywhere, even in the algorithm's case or one separator, is its own.
  for (const text of [good('ab12').replace('AWS4', 'aws4'), good('ab12', ',  '), good('ab12').replace('host;', 'Host;'), `X${good('ab12')}`]) {
    assert.deepEqual(parsed(cache, text), reference(text), text);
  }
  assert.ok(cache.recentSize <= 4);
});

test('random signature-last headers, kept prefixes repeated with other hex tails, parse as the reference does', () => {
  const random = new Random(29);
  const cache = new AuthorizationHeaderCache(8);
  const pieces = ['AWS4-HMAC-SHA256', ' ', ',', '\t', '=', 'Credential=', 'SignedHeaders=', 'Signature=', 'host', ';', 'a', 'f0', 'S', '/'];
  const hex = '0123456789abcdefABX ,';
  const prefixes: string[] = [];
  for (let n = 0; n < 20_000; n++) {
    let prefix: string;
    if (prefixes.length > 0 && random.chance(0.6)) prefix = prefixes[random.int(0, prefixes.length - 1)];
    else {
      prefix = '';
      const length = random.int(1, 8);
      for (let i = 0; i < length; i++) prefix += pieces[random.int(0, pieces.length - 1)];
      prefix += random.chance(0.8) ? ', Signature=' : 'Signature=';
      prefixes.push(prefix);
    }
    let tail = '';
    const tailLength = random.int(0, 6);
    // Mostly lower-case hex (the fast path); sometimes a character that must send the text to the full parse.
    for (let i = 0; i < tailLength; i++) tail += hex[random.chance(0.9) ? random.int(0, 15) : random.int(16, hex.length - 1)];
    const text = prefix + tail;
    assert.deepEqual(parsed(cache, text), reference(text), JSON.stringify(text));
  }
  assert.ok(cache.size <= 8 && cache.recentSize <= 4, 'the caches are bounded');
});
