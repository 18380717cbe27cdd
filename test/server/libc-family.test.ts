// The C library family read from node's ELF interpreter agrees with detect-libc, which the
// native addons' loader would otherwise run in every thread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { familySync } from 'detect-libc';
import { libcFamilyOfNode } from '../../src/server/libc-family.ts';

test('libcFamilyOfNode names the same C library as detect-libc', () => {
  const family = libcFamilyOfNode();
  assert.notEqual(family, null, 'a Linux node binary has an ELF interpreter');
  assert.equal(family, familySync());
});
