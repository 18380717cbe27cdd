// DynamoDB's 2 MB limit on a request's substitution variables, ExpressionAttributeNames and
// ExpressionAttributeValues together. DynamoDB does not say how a value's length is counted;
// monodyne counts the bytes the names and values take in the CBOR frame that carries them to a
// storage node (numbers in the plain text DynamoDB answers), so that no valid request makes a
// frame larger than its bound (limits-relations.ts). A string or binary counts its own bytes and
// a few of header; values that expand (lists of NULLs, numbers like 1E-130) reach 2 MB sooner.
import { validationError } from '../protocol/errors.ts';
import { substitutionBytesMax } from '../limits.ts';
import { utf8ByteLength } from './attribute-values.ts';
import type { AttributeValue } from '../values/types.ts';

/** Bytes of a CBOR header for a length or count of `n` (as cbor-x writes them: the shortest). */
function headerBytes(n: number): number {
  return n < 24 ? 1 : n < 256 ? 2 : n < 65536 ? 3 : 5;
}

function textBytes(text: string): number {
  const bytes = utf8ByteLength(text);
  return headerBytes(bytes) + bytes;
}

function textsBytes(texts: readonly string[]): number {
  let bytes = headerBytes(texts.length);
  for (let i = 0; i < texts.length; i++) bytes += textBytes(texts[i]);
  return bytes;
}

/** The bytes of one (normalized) AttributeValue in a frame: its one-entry map, type name and value. */
export function attributeValueFrameBytes(av: AttributeValue): number {
  for (const type in av) {
    const value = (av as Record<string, unknown>)[type];
    const wrapper = 2 + type.length;
    switch (type) {
      case 'S':
      case 'N':
      case 'B':
        return wrapper + textBytes(value as string);
      case 'BOOL':
      case 'NULL':
        return wrapper + 1;
      case 'SS':
      case 'NS':
      case 'BS':
        return wrapper + textsBytes(value as string[]);
      case 'L': {
        const list = value as AttributeValue[];
        let bytes = wrapper + headerBytes(list.length);
        for (let i = 0; i < list.length; i++) bytes += attributeValueFrameBytes(list[i]);
        return bytes;
      }
      case 'M': {
        const map = value as Record<string, AttributeValue>;
        let count = 0;
        let bytes = wrapper;
        for (const name in map) {
          count++;
          bytes += textBytes(name) + attributeValueFrameBytes(map[name]);
        }
        return bytes + headerBytes(count);
      }
    }
  }
  return 1;
}

/** The substitution variables' bytes: every placeholder, name and (normalized) value, as a frame carries them. */
export function substitutionBytes(
  names: Readonly<Record<string, string>> | null | undefined,
  values: Readonly<Record<string, AttributeValue>> | null | undefined,
): number {
  let bytes = 0;
  if (names != null) for (const key in names) bytes += textBytes(key) + textBytes(names[key]);
  if (values != null) for (const key in values) bytes += textBytes(key) + attributeValueFrameBytes(values[key]);
  return bytes;
}

export function substitutionSizeExceededMessage(bytes: number): string {
  return `Expression attribute names and values size has exceeded the maximum allowed size; size: ${bytes}`;
}

/** Throws DynamoDB's ValidationException when the substitution variables pass 2 MB. */
export function checkSubstitutionSize(
  names: Readonly<Record<string, string>> | null | undefined,
  values: Readonly<Record<string, AttributeValue>> | null | undefined,
): void {
  if (names == null && values == null) return;
  const bytes = substitutionBytes(names, values);
  if (bytes > substitutionBytesMax) throw validationError(substitutionSizeExceededMessage(bytes));
}
