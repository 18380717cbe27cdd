// Tag lists as DynamoDB checks them: lengths in Unicode characters, the AWS tag characters, the
// reserved aws: prefix, duplicates, the 50-tag limit, all or nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withTags, withoutTags } from '../../src/validation/tags.ts';

const refused = (f: () => unknown, message: string) => assert.throws(f, (err: Error & { kind?: { name: string } }) => {
  assert.equal(err.kind?.name, 'ValidationException');
  assert.equal(err.message, message);
  return true;
});

test('tags are added and sorted by key; a key already there takes the new value', () => {
  const first = withTags([], [{ Key: 'b', Value: '1' }, { Key: 'a', Value: '' }]);
  assert.deepEqual(first, [{ Key: 'a', Value: '' }, { Key: 'b', Value: '1' }]);
  assert.deepEqual(withTags(first, [{ Key: 'b', Value: '2' }]), [{ Key: 'a', Value: '' }, { Key: 'b', Value: '2' }]);
});

test('keys and values of any script, white space and + - = . _ : / @ are accepted; lengths count characters', () => {
  const tags = [
    { Key: 'ключ', Value: 'café 表' },
    { Key: 'a+b-c=d.e_f:g/h@i', Value: 'x y\u00a0z' },
    { Key: 'א'.repeat(128), Value: '𝔸'.repeat(256) },
  ];
  assert.equal(withTags([], tags).length, 3);
});

const cases: Array<[string, { Key?: string | null; Value?: string | null } | null, string]> = [
  ['an empty key', { Key: '', Value: 'v' }, 'The Tag Key provided is invalid, Key: '],
  ['a key of 129 characters', { Key: 'k'.repeat(129), Value: 'v' }, `The Tag Key provided is invalid, Key: ${'k'.repeat(129)}`],
  ['no key', { Value: 'v' }, 'The Tag Key provided is invalid, Key: null'],
  ['a null entry', null, 'The Tag Key provided is invalid, Key: null'],
  ['a key with %', { Key: '100%', Value: 'v' }, 'The Tag Key provided is invalid, Key: 100%'],
  ['a key with an emoji', { Key: '🔑', Value: 'v' }, 'The Tag Key provided is invalid, Key: 🔑'],
  ['the aws: prefix', { Key: 'aws:owner', Value: 'v' }, 'Tag Key cannot be prefixed with aws:, Key: aws:owner'],
  ['the prefix in capitals', { Key: 'AWS:owner', Value: 'v' }, 'Tag Key cannot be prefixed with aws:, Key: AWS:owner'],
  ['no value', { Key: 'k' }, 'The Tag Value provided is invalid, Value: null'],
  ['a value of 257 characters', { Key: 'k', Value: 'v'.repeat(257) }, `The Tag Value provided is invalid, Value: ${'v'.repeat(257)}`],
  ['a value with a comma', { Key: 'k', Value: 'a,b' }, 'The Tag Value provided is invalid, Value: a,b'],
];
for (const [what, tag, message] of cases) {
  test(`refused: ${what}`, () => refused(() => withTags([], [{ Key: 'good', Value: 'v' }, tag]), message));
}

test('an empty list, duplicate keys and more than 50 tags in all are refused', () => {
  refused(() => withTags([], []), 'Atleast one Tag needs to be provided as Input.');
  assert.deepEqual(withTags([], [], true), []);
  refused(() => withTags([], [{ Key: 'd', Value: '1' }, { Key: 'd', Value: '2' }]), 'Duplicate Tag Keys provided as input: Duplicate Tag Key found d');
  const forty = withTags([], Array.from({ length: 40 }, (_, i) => ({ Key: `k${i}`, Value: '' })));
  // Overwriting keys does not count twice.
  assert.equal(withTags(forty, Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: 'x' }))).length, 50);
  refused(() => withTags(forty, Array.from({ length: 11 }, (_, i) => ({ Key: `n${i}`, Value: '' }))), 'Number of Tags exceed the current limit for the provided ResourceArn');
});

test('untagging removes keys, ignores absent ones, and checks every key', () => {
  const tags = withTags([], [{ Key: 'a', Value: '1' }, { Key: 'b', Value: '2' }]);
  assert.deepEqual(withoutTags(tags, ['a', 'zzz']), [{ Key: 'b', Value: '2' }]);
  refused(() => withoutTags(tags, []), 'Atleast one Tag Key needs to be provided as Input.');
  refused(() => withoutTags(tags, ['a', '']), 'The Tag Key provided is invalid, Key: ');
  refused(() => withoutTags(tags, Array.from({ length: 51 }, (_, i) => `k${i}`)), 'Number of Tags exceed the current limit for the provided ResourceArn');
});
