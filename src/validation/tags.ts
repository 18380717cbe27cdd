// Tag lists as DynamoDB checks them (TagResource, UntagResource, CreateTable's Tags): every tag is
// checked before any is applied, with DynamoDB's messages (probed against DynamoDB by third
// parties; "Atleast" is DynamoDB's spelling). Pure: it returns the new tag set or throws.
import { validationError } from '../protocol/errors.ts';
import type { Tag } from '../control/table-record.ts';
import { reservedTagKeyPrefix, tagCharactersPattern, tagKeyLengthMax, tagKeyLengthMin, tagsPerResourceMax, tagValueLengthMax } from '../limits.ts';

/** A tag as a request carries it: members may be missing or of any JSON type the shape let through. */
export interface TagInput {
  Key?: string | null;
  Value?: string | null;
}

const tooManyTags = 'Number of Tags exceed the current limit for the provided ResourceArn';

/** Lengths count Unicode characters (code points), as DynamoDB counts them, not UTF-16 units. */
function characters(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function checkKey(key: string | null | undefined): string {
  if (typeof key !== 'string' || characters(key) < tagKeyLengthMin || characters(key) > tagKeyLengthMax || !tagCharactersPattern.test(key)) {
    throw validationError(`The Tag Key provided is invalid, Key: ${key ?? 'null'}`);
  }
  return key;
}

function checkTag(tag: TagInput | null): Tag {
  // A null entry is a tag without members: DynamoDB names its missing key.
  const key = checkKey(tag?.Key);
  if (key.toLowerCase().startsWith(reservedTagKeyPrefix)) throw validationError(`Tag Key cannot be prefixed with ${reservedTagKeyPrefix}, Key: ${key}`);
  const value = tag!.Value;
  if (typeof value !== 'string' || characters(value) > tagValueLengthMax || !tagCharactersPattern.test(value)) {
    throw validationError(`The Tag Value provided is invalid, Value: ${value ?? 'null'}`);
  }
  return { Key: key, Value: value };
}

/** Tags in the order ListTagsOfResource pages them: by key. */
function sorted(byKey: Map<string, string>): Tag[] {
  return [...byKey.keys()].sort().map((Key) => ({ Key, Value: byKey.get(Key)! }));
}

/**
 * `current` with `added` applied (a key already there takes the new value). TagResource refuses an
 * empty list; CreateTable takes one (`emptyAllowed`).
 */
export function withTags(current: readonly Tag[], added: readonly (TagInput | null)[], emptyAllowed = false): Tag[] {
  if (added.length === 0 && !emptyAllowed) throw validationError('Atleast one Tag needs to be provided as Input.');
  const checked = added.map(checkTag);
  const seen = new Set<string>();
  for (const tag of checked) {
    if (seen.has(tag.Key)) throw validationError(`Duplicate Tag Keys provided as input: Duplicate Tag Key found ${tag.Key}`);
    seen.add(tag.Key);
  }
  const byKey = new Map(current.map((t) => [t.Key, t.Value]));
  for (const tag of checked) byKey.set(tag.Key, tag.Value);
  if (byKey.size > tagsPerResourceMax) throw validationError(tooManyTags);
  return sorted(byKey);
}

/** `current` without `keys`; a key that is not there is no error. */
export function withoutTags(current: readonly Tag[], keys: readonly (string | null)[]): Tag[] {
  if (keys.length === 0) throw validationError('Atleast one Tag Key needs to be provided as Input.');
  // DynamoDB bounds the keys of one request by the tag limit, although they remove tags.
  if (keys.length > tagsPerResourceMax) throw validationError(tooManyTags);
  const removed = new Set(keys.map(checkKey));
  return current.filter((t) => !removed.has(t.Key));
}
