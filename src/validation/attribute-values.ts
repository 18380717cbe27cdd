// Validation and normalization of wire AttributeValues, items and primary keys, with DynamoDB's
// own error types and texts; and DynamoDB's item size rules.
//
// DynamoDB first deserializes a whole request (JSON type errors and bad base64 are
// SerializationExceptions) and only then validates it (ValidationExceptions). We check both in
// one pass; when that pass finds a validation error, a second, serialization-only pass over the
// same input decides whether a serialization error elsewhere must be reported instead.
import { DynamoError, validationError } from '../protocol/errors.ts';
import { attributeNameBytesMax, itemSizeBytesMax, nestingDepthMax, partitionKeyBytesMax, sortKeyBytesMax } from '../limits.ts';
import { canonicalNumber, numberSizeBytes } from '../values/number.ts';
import type {
  AttributeDefinition,
  AttributeValue,
  Item,
  Key,
  KeySchemaElement,
  ScalarAttributeType,
} from '../values/types.ts';

export type { AttributeDefinition, AttributeValue, Item, Key, KeySchemaElement, ScalarAttributeType };

// ---------------------------------------------------------------------------------------------
// Messages. Sources: DynamoDB Local's ErrorFactory, dynalite's tests (recorded against DynamoDB)
// and captures of current DynamoDB quoted in other emulators' conformance suites.
const invalidPrefix = 'One or more parameter values were invalid: ';
export const emptyAttributeValueMessage =
  'Supplied AttributeValue is empty, must contain exactly one of the supported datatypes';
export const multipleDatatypesMessage =
  'Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes';
export const nullNotTrueMessage = invalidPrefix + 'Null attribute value types must have the value of true';
export const emptyStringSetMessage = invalidPrefix + 'An string set  may not be empty';
export const emptyNumberSetMessage = invalidPrefix + 'An number set  may not be empty';
export const emptyBinarySetMessage = invalidPrefix + 'Binary sets should not be empty';
export const numberSetDuplicatesMessage = invalidPrefix + 'Input collection contains duplicates.';
export const nestingTooDeepMessage =
  'Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit';
export const keySchemaMismatchMessage = 'The provided key element does not match the schema';
export const attributeNameTooLargeMessage = `1 validation error detected: Attribute name is too large, must be less than ${attributeNameBytesMax + 1} bytes`;
export const emptyAttributeNameMessage = invalidPrefix + 'Empty attribute name';

const keyTypeMismatchPrefix = `${invalidPrefix}Type mismatch for key `;

/** Whether a ValidationException's message says a key does not match its table's schema (names or types). */
export function isKeySchemaMismatch(message: string): boolean {
  return message === keySchemaMismatchMessage || message.startsWith(keyTypeMismatchPrefix);
}
export const itemSizeExceededMessage = 'Item size has exceeded the maximum allowed size';
export const partitionKeyTooLargeMessage =
  invalidPrefix + `Size of hashkey has exceeded the maximum size limit of${partitionKeyBytesMax} bytes`;
export const sortKeyTooLargeMessage =
  invalidPrefix + `Aggregated size of all range keys has exceeded the size limit of ${sortKeyBytesMax} bytes`;

function stringSetDuplicatesMessage(values: string[]): string {
  // Current DynamoDB quotes the members (older regions printed [a, a]).
  let list = '';
  for (let i = 0; i < values.length; i++) list += (i === 0 ? '"' : ', "') + values[i] + '"';
  return `${invalidPrefix}Input collection [${list}] contains duplicates.`;
}

function binarySetDuplicatesMessage(values: string[]): string {
  let list = '';
  for (let i = 0; i < values.length; i++) list += (i === 0 ? '"' : ',"') + values[i] + '"';
  return `${invalidPrefix}Input collection [${list}]of type BS contains duplicates.`;
}

function emptyKeyValueMessage(kind: 'string' | 'binary', name: string): string {
  return `One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty ${kind} value. Key: ${name}`;
}

// Coral's JSON deserializer messages (as recorded by dynalite).
const bigNumberClass = 'class com.amazon.coral.value.json.numbers.TruncatingBigNumber';
const startOfList = 'Start of list found where not expected';
const startOfMap = 'Start of structure or map found where not expected.';

function serializationError(message: string): DynamoError {
  return new DynamoError('SerializationException', message);
}

function notString(value: unknown): DynamoError {
  if (typeof value === 'boolean') return serializationError('class java.lang.Boolean can not be converted to an String');
  if (typeof value === 'number') return serializationError(bigNumberClass + ' can not be converted to an String');
  return serializationError(Array.isArray(value) ? startOfList : startOfMap);
}

function notBoolean(value: unknown): DynamoError {
  if (typeof value === 'number') return serializationError(bigNumberClass + ' can not be converted to an Boolean');
  if (typeof value === 'string') return serializationError(`'${value.toUpperCase()}' can not be converted to an Boolean`);
  return serializationError(Array.isArray(value) ? startOfList : startOfMap);
}

function notBlob(value: unknown): DynamoError {
  if (typeof value === 'boolean') return serializationError('class java.lang.Boolean can not be converted to a Blob');
  if (typeof value === 'number') return serializationError(bigNumberClass + ' can not be converted to a Blob');
  return serializationError(Array.isArray(value) ? startOfList : startOfMap);
}

function notList(value: unknown): DynamoError {
  return serializationError(typeof value === 'object' ? startOfMap : 'Expected list or null');
}

function notMap(value: unknown): DynamoError {
  return serializationError(Array.isArray(value) ? startOfList : 'Expected map or null');
}

function notStructure(value: unknown): DynamoError {
  return serializationError(Array.isArray(value) ? startOfList : 'Expected null');
}

// ---------------------------------------------------------------------------------------------
// Base64: DynamoDB accepts only padded, canonical standard base64.

const base64Values = new Uint8Array(128).fill(255);
{
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < alphabet.length; i++) base64Values[alphabet.charCodeAt(i)] = i;
}

/** Throws Coral's SerializationException unless `text` is canonical padded base64; returns the byte length. */
function checkBase64(text: string): number {
  const length = text.length;
  const fail = (why: string) => serializationError(`'${text}' can not be converted to a Blob: ${why}`);
  if (length % 4 !== 0) throw fail(`Base64 encoded length is expected a multiple of 4 bytes but found: ${length}`);
  if (length === 0) return 0;
  let padding = 0;
  if (text.charCodeAt(length - 1) === 61 /* = */) padding = text.charCodeAt(length - 2) === 61 ? 2 : 1;
  const dataEnd = length - padding;
  for (let i = 0; i < dataEnd; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || base64Values[c] === 255) throw fail(`Invalid Base64 character: '${text.charAt(i)}'`);
  }
  // The bits after the last byte must be zero, or the text is not the canonical encoding.
  if (padding !== 0) {
    const last = base64Values[text.charCodeAt(dataEnd - 1)];
    if ((padding === 1 && (last & 0x3) !== 0) || (padding === 2 && (last & 0xf) !== 0)) {
      throw fail('Invalid last non-pad Base64 character dectected');
    }
  }
  return (length / 4) * 3 - padding;
}

/** Byte length of a (valid) base64 text, without decoding it. */
function base64ByteLength(text: string): number {
  const length = text.length;
  if (length === 0) return 0;
  let padding = 0;
  if (text.charCodeAt(length - 1) === 61) padding = text.charCodeAt(length - 2) === 61 ? 2 : 1;
  return (length >>> 2) * 3 - padding;
}

// ---------------------------------------------------------------------------------------------
// Normalization

function setProperty(target: Record<string, unknown>, name: string, value: unknown): void {
  // JSON.parse makes "__proto__" an own property; a plain assignment would change the prototype.
  if (name === '__proto__') Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
  else target[name] = value;
}

/** Refuses an attribute name (of an item or of a map inside one) longer than DynamoDB allows. */
export function checkAttributeNameSize(name: string): void {
  // A UTF-16 unit is at most 3 UTF-8 bytes: only names that long need counting.
  if (name.length * 3 > attributeNameBytesMax && utf8ByteLength(name) > attributeNameBytesMax) throw validationError(attributeNameTooLargeMessage);
}

/** Returns the validated, normalized copy of one AttributeValue at nesting level `depth` (an item's attributes are level 1). */
function normalizeValue(av: unknown, depth: number): AttributeValue {
  if (av === null || av === undefined) throw validationError(emptyAttributeValueMessage);
  if (typeof av !== 'object' || Array.isArray(av)) throw notStructure(av);
  if (depth > nestingDepthMax) throw validationError(nestingTooDeepMessage);
  const record = av as Record<string, unknown>;
  // Members are deserialized and validated in order; only then is their number judged.
  let result: AttributeValue | undefined;
  let count = 0;
  for (const name in record) {
    const value = record[name];
    if (value === null || value === undefined) continue;
    const normalized = normalizeTyped(name, value, depth);
    if (normalized === undefined) continue; // not a datatype: ignored, as DynamoDB does
    if (count++ === 0) result = normalized;
  }
  if (count === 0) throw validationError(emptyAttributeValueMessage);
  if (count > 1) throw validationError(multipleDatatypesMessage);
  return result as AttributeValue;
}

function normalizeTyped(type: string, value: unknown, depth: number): AttributeValue | undefined {
  switch (type) {
    case 'S':
      if (typeof value !== 'string') throw notString(value);
      return { S: value };
    case 'N':
      if (typeof value !== 'string') throw notString(value);
      return { N: canonicalNumber(value) };
    case 'B':
      if (typeof value !== 'string') throw notBlob(value);
      checkBase64(value);
      return { B: value };
    case 'BOOL':
      if (typeof value !== 'boolean') throw notBoolean(value);
      return { BOOL: value };
    case 'NULL':
      if (typeof value !== 'boolean') throw notBoolean(value);
      if (!value) throw validationError(nullNotTrueMessage);
      return { NULL: true };
    case 'SS':
      return { SS: normalizeStringSet(value) };
    case 'NS':
      return { NS: normalizeNumberSet(value) };
    case 'BS':
      return { BS: normalizeBinarySet(value) };
    case 'L': {
      if (!Array.isArray(value)) throw notList(value);
      const out: AttributeValue[] = new Array(value.length);
      for (let i = 0; i < value.length; i++) out[i] = normalizeValue(value[i], depth + 1);
      return { L: out };
    }
    case 'M': {
      if (typeof value !== 'object' || Array.isArray(value)) throw notMap(value);
      const map = value as Record<string, unknown>;
      const out: Record<string, AttributeValue> = {};
      for (const name in map) {
        checkAttributeNameSize(name);
        setProperty(out, name, normalizeValue(map[name], depth + 1));
      }
      return { M: out };
    }
  }
  return undefined;
}

function checkSetMembers(value: unknown, check: (member: unknown) => DynamoError | undefined): unknown[] {
  if (!Array.isArray(value)) throw notList(value);
  for (let i = 0; i < value.length; i++) {
    const error = check(value[i]);
    if (error) throw error;
  }
  return value;
}

const nullStringMember = invalidPrefix + 'An string set may not have a null string as a member';
const nullBinaryMember = invalidPrefix + 'Binary sets may not contain null or empty values';

function stringMember(member: unknown): DynamoError | undefined {
  if (member === null || member === undefined) return validationError(nullStringMember);
  return typeof member === 'string' ? undefined : notString(member);
}

function hasDuplicate(values: string[]): boolean {
  const count = values.length;
  if (count <= 8) {
    for (let i = 1; i < count; i++) {
      for (let j = 0; j < i; j++) if (values[i] === values[j]) return true;
    }
    return false;
  }
  return new Set(values).size !== count;
}

function normalizeStringSet(value: unknown): string[] {
  const members = checkSetMembers(value, stringMember) as string[];
  if (members.length === 0) throw validationError(emptyStringSetMessage);
  if (hasDuplicate(members)) throw validationError(stringSetDuplicatesMessage(members));
  return members.slice();
}

function normalizeNumberSet(value: unknown): string[] {
  const members = checkSetMembers(value, (member) =>
    member === null || member === undefined ? undefined : stringMember(member),
  );
  if (members.length === 0) throw validationError(emptyNumberSetMessage);
  const out: string[] = new Array(members.length);
  for (let i = 0; i < members.length; i++) {
    const member = members[i];
    out[i] = canonicalNumber(typeof member === 'string' ? member : 'null');
  }
  // Equal numbers written differently ("1", "1.0") are duplicates.
  if (hasDuplicate(out)) throw validationError(numberSetDuplicatesMessage);
  return out;
}

function normalizeBinarySet(value: unknown): string[] {
  const members = checkSetMembers(value, (member) => {
    if (member === null || member === undefined) return validationError(nullBinaryMember);
    return typeof member === 'string' ? undefined : notBlob(member);
  }) as string[];
  for (let i = 0; i < members.length; i++) checkBase64(members[i]);
  if (members.length === 0) throw validationError(emptyBinarySetMessage);
  // Valid base64 here is canonical, so equal texts ⇔ equal bytes.
  if (hasDuplicate(members)) throw validationError(binarySetDuplicatesMessage(members));
  return members.slice();
}

// Serialization-only pass, run when the main pass found a validation error.
function findSerializationError(av: unknown): DynamoError | undefined {
  if (av === null || av === undefined) return undefined;
  if (typeof av !== 'object' || Array.isArray(av)) return notStructure(av);
  const record = av as Record<string, unknown>;
  for (const type in record) {
    const value = record[type];
    if (value === null || value === undefined) continue;
    let error: DynamoError | undefined;
    switch (type) {
      case 'S':
      case 'N':
        if (typeof value !== 'string') error = notString(value);
        break;
      case 'B':
        if (typeof value !== 'string') error = notBlob(value);
        else error = base64Error(value);
        break;
      case 'BOOL':
      case 'NULL':
        if (typeof value !== 'boolean') error = notBoolean(value);
        break;
      case 'SS':
      case 'NS':
      case 'BS':
        if (!Array.isArray(value)) error = notList(value);
        else {
          for (const member of value) {
            if (member === null || member === undefined) continue;
            if (type === 'BS') error = typeof member === 'string' ? base64Error(member) : notBlob(member);
            else if (typeof member !== 'string') error = notString(member);
            if (error) break;
          }
        }
        break;
      case 'L':
        if (!Array.isArray(value)) error = notList(value);
        else for (const element of value) if ((error = findSerializationError(element))) break;
        break;
      case 'M':
        if (typeof value !== 'object' || Array.isArray(value)) error = notMap(value);
        else for (const name in value as object) if ((error = findSerializationError((value as Record<string, unknown>)[name]))) break;
        break;
    }
    if (error) return error;
  }
  return undefined;
}

function base64Error(text: string): DynamoError | undefined {
  try {
    checkBase64(text);
    return undefined;
  } catch (error) {
    return error as DynamoError;
  }
}

function isValidationError(error: unknown): boolean {
  return error instanceof DynamoError && error.kind.name === 'ValidationException';
}

function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/**
 * Validates every attribute of an item-shaped map (Item, Key, ExpressionAttributeValues, …) and
 * returns a normalized copy: numbers in N/NS (nested too) canonical, null members dropped.
 * `what` is the request parameter, used where DynamoDB names it: "Value null at 'item'…", and
 * for ExpressionAttributeValues the "contains invalid value: … for key :v" wrapping.
 */
export function normalizeItem(item: unknown, what: string): Item {
  if (item === null || item === undefined) {
    throw validationError(`1 validation error detected: Value null at '${lowerFirst(what)}' failed to satisfy constraint: Member must not be null`);
  }
  if (typeof item !== 'object' || Array.isArray(item)) throw notMap(item);
  const input = item as Record<string, unknown>;
  const out: Item = {};
  let current = '';
  const names = what === 'Item';
  try {
    for (const name in input) {
      current = name;
      if (names) {
        if (name.length === 0) throw validationError(emptyAttributeNameMessage);
        checkAttributeNameSize(name);
      }
      setProperty(out, name, normalizeValue(input[name], 1));
    }
  } catch (error) {
    if (!isValidationError(error)) throw error;
    for (const name in input) {
      const serialization = findSerializationError(input[name]);
      if (serialization) throw serialization;
    }
    // A map key too long inside a value is reported as it is in an item, unwrapped.
    if (what === 'ExpressionAttributeValues' && (error as Error).message !== attributeNameTooLargeMessage) {
      throw validationError(`ExpressionAttributeValues contains invalid value: ${(error as Error).message} for key ${current}`);
    }
    throw error;
  }
  return out;
}

/** Validates one AttributeValue (at the top level of an item) and returns its normalized copy. */
export function normalizeAttributeValue(av: unknown): AttributeValue {
  try {
    return normalizeValue(av, 1);
  } catch (error) {
    if (!isValidationError(error)) throw error;
    const serialization = findSerializationError(av);
    throw serialization ?? error;
  }
}

// ---------------------------------------------------------------------------------------------
// Item size (Developer Guide, "Item sizes and formats")

/** UTF-8 byte length without encoding; short strings by hand, long ones natively. */
export function utf8ByteLength(text: string): number {
  const length = text.length;
  if (length > 64) return Buffer.byteLength(text, 'utf8');
  let bytes = length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) {
      bytes += 1;
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 2; // a surrogate pair: 2 UTF-16 units, 4 UTF-8 bytes
      i++;
    } else {
      bytes += 2; // 3 bytes (lone surrogates become U+FFFD, also 3)
    }
  }
  return bytes;
}

/**
 * Size of one attribute value: S UTF-8 bytes; N by its significant digits (numberSizeBytes);
 * B raw bytes; BOOL and NULL 1; sets the sum of their members; L and M 3 bytes plus, per
 * element, 1 byte plus its size (and, in a map, its name's UTF-8 bytes).
 */
export function attributeValueSizeBytes(av: AttributeValue): number {
  // for-in yields the one type name; a switch on it stays fast whatever the value's shape.
  for (const type in av) {
    const value = (av as Record<string, unknown>)[type];
    switch (type) {
      case 'S':
        return utf8ByteLength(value as string);
      case 'N':
        return numberSizeBytes(value as string);
      case 'B':
        return base64ByteLength(value as string);
      case 'BOOL':
      case 'NULL':
        return 1;
      case 'M': {
        const map = value as Record<string, AttributeValue>;
        let size = 3;
        for (const name in map) size += 1 + utf8ByteLength(name) + attributeValueSizeBytes(map[name]);
        return size;
      }
      case 'L': {
        const list = value as AttributeValue[];
        let size = 3;
        for (let i = 0; i < list.length; i++) size += 1 + attributeValueSizeBytes(list[i]);
        return size;
      }
      case 'SS': {
        const set = value as string[];
        let size = 0;
        for (let i = 0; i < set.length; i++) size += utf8ByteLength(set[i]);
        return size;
      }
      case 'NS': {
        const set = value as string[];
        let size = 0;
        for (let i = 0; i < set.length; i++) size += numberSizeBytes(set[i]);
        return size;
      }
      case 'BS': {
        const set = value as string[];
        let size = 0;
        for (let i = 0; i < set.length; i++) size += base64ByteLength(set[i]);
        return size;
      }
    }
  }
  return 0;
}

/** DynamoDB's size of an item: for each attribute, its name's UTF-8 bytes plus its value's size. */
export function itemSizeBytes(item: Item): number {
  let size = 0;
  for (const name in item) size += utf8ByteLength(name) + attributeValueSizeBytes(item[name]);
  return size;
}

// ---------------------------------------------------------------------------------------------
// Primary keys

function typeOf(av: AttributeValue): string {
  for (const name in av) return name;
  return '';
}

function definedType(name: string, attributeDefinitions: readonly AttributeDefinition[]): ScalarAttributeType {
  for (const definition of attributeDefinitions) {
    if (definition.AttributeName === name) return definition.AttributeType;
  }
  throw new Error(`key attribute ${name} has no attribute definition`);
}

/** Empty-value and size checks shared by keys given as Key and keys taken from an Item. */
function checkKeyValue(element: KeySchemaElement, av: AttributeValue): void {
  let bytes: number;
  if ('S' in av) {
    bytes = utf8ByteLength(av.S);
    if (bytes === 0) throw validationError(emptyKeyValueMessage('string', element.AttributeName));
  } else if ('B' in av) {
    bytes = base64ByteLength(av.B);
    if (bytes === 0) throw validationError(emptyKeyValueMessage('binary', element.AttributeName));
  } else {
    return; // a number is at most 21 bytes
  }
  if (element.KeyType === 'HASH') {
    if (bytes > partitionKeyBytesMax) throw validationError(partitionKeyTooLargeMessage);
  } else if (bytes > sortKeyBytesMax) {
    throw validationError(sortKeyTooLargeMessage);
  }
}

/**
 * Validates a Key parameter (GetItem, DeleteItem, UpdateItem, ExclusiveStartKey…): a valid map of
 * AttributeValues holding exactly the key schema's attributes with their defined types, non-empty
 * and within the key size limits. Returns the normalized key.
 */
export function validateKey(
  key: unknown,
  keySchema: readonly KeySchemaElement[],
  attributeDefinitions: readonly AttributeDefinition[],
): Key {
  const normalized = normalizeItem(key, 'Key');
  let count = 0;
  for (const _ in normalized) count++;
  if (count !== keySchema.length) throw validationError(keySchemaMismatchMessage);
  for (const element of keySchema) {
    const av = normalized[element.AttributeName];
    if (av === undefined || typeOf(av) !== definedType(element.AttributeName, attributeDefinitions)) {
      throw validationError(keySchemaMismatchMessage);
    }
  }
  for (const element of keySchema) checkKeyValue(element, normalized[element.AttributeName]);
  return normalized;
}

/**
 * Checks a (normalized) item's key attributes for PutItem: present, of the defined type,
 * non-empty, within the key size limits. Returns the item's key.
 */
export function validateItemKeyAttributes(
  item: Item,
  keySchema: readonly KeySchemaElement[],
  attributeDefinitions: readonly AttributeDefinition[],
): Key {
  const key: Key = {};
  for (const element of keySchema) {
    const name = element.AttributeName;
    const av = item[name];
    if (av === undefined) throw validationError(`${invalidPrefix}Missing the key ${name} in the item`);
    const expected = definedType(name, attributeDefinitions);
    const actual = typeOf(av);
    if (actual !== expected) {
      throw validationError(`${keyTypeMismatchPrefix}${name} expected: ${expected} actual: ${actual}`);
    }
    setProperty(key, name, av);
  }
  for (const element of keySchema) checkKeyValue(element, key[element.AttributeName]);
  return key;
}

/**
 * The key attributes of a (normalized) item. A missing or mistyped key attribute gives the
 * message BatchWriteItem uses, "The provided key element does not match the schema"; empty and
 * oversized values are checked as for any key.
 */
export function extractKey(
  item: Item,
  keySchema: readonly KeySchemaElement[],
  attributeDefinitions: readonly AttributeDefinition[],
): Key {
  const key: Key = {};
  for (const element of keySchema) {
    const av = item[element.AttributeName];
    if (av === undefined || typeOf(av) !== definedType(element.AttributeName, attributeDefinitions)) {
      throw validationError(keySchemaMismatchMessage);
    }
    setProperty(key, element.AttributeName, av);
  }
  for (const element of keySchema) checkKeyValue(element, key[element.AttributeName]);
  return key;
}

/** Throws DynamoDB's error when an item is over the 400 KB limit; returns its size. */
export function checkItemSize(item: Item): number {
  const size = itemSizeBytes(item);
  if (size > itemSizeBytesMax) throw validationError(itemSizeExceededMessage);
  return size;
}
