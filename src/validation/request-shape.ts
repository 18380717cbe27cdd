// Checks a request body against an operation's declared shape the way DynamoDB's front end
// does: wrong JSON types are SerializationExceptions; constraint violations are collected
// into one "N validation errors detected: ..." ValidationException (at most 10 listed).
import { DynamoError, validationError } from '../protocol/errors.ts';

export type Shape =
  | { type: 'String'; notNull?: boolean; minLength?: number; maxLength?: number; pattern?: RegExp; patternText?: string; enum?: readonly string[] }
  | { type: 'Integer' | 'Long'; notNull?: boolean; min?: number; max?: number }
  | { type: 'Boolean'; notNull?: boolean }
  | { type: 'List'; notNull?: boolean; minLength?: number; maxLength?: number; member: Shape }
  | { type: 'Map'; notNull?: boolean; minLength?: number; maxLength?: number; value: Shape }
  | { type: 'Structure'; notNull?: boolean; members: Record<string, Shape> }
  /** A DynamoDB AttributeValue: checked deeply elsewhere, here only "is an object". */
  | { type: 'AttributeValue'; notNull?: boolean };

const errorsListedMax = 10;

function serializationError(message: string): DynamoError {
  return new DynamoError('SerializationException', message);
}

function javaNumberClass(n: number): string {
  if (!Number.isInteger(n)) return 'java.lang.Double';
  if (n >= -32768 && n <= 32767) return 'java.lang.Short';
  if (n >= -2147483648 && n <= 2147483647) return 'java.lang.Integer';
  return 'java.lang.Long';
}

function wrongJsonType(value: unknown, expected: string): DynamoError {
  if (Array.isArray(value)) return serializationError('Start of list found where not expected');
  if (typeof value === 'object') return serializationError('Start of structure or map found where not expected.');
  if (expected === 'List') return serializationError('Expected list or null');
  if (expected === 'Map') return serializationError('Expected map or null');
  if (expected === 'Structure') return serializationError('Expected null');
  if (typeof value === 'boolean') return serializationError(`class java.lang.Boolean can not be converted to an ${expected}`);
  if (typeof value === 'number') return serializationError(`class ${javaNumberClass(value)} can not be converted to an ${expected}`);
  return serializationError(`class java.lang.String can not be converted to an ${expected}`);
}

/** First pass: JSON types. Throws SerializationException on the first mismatch. */
function checkTypes(value: unknown, shape: Shape): void {
  if (value === null || value === undefined) return;
  switch (shape.type) {
    case 'String':
      if (typeof value !== 'string') throw wrongJsonType(value, 'String');
      return;
    case 'Integer':
    case 'Long':
      if (typeof value !== 'number') throw wrongJsonType(value, shape.type);
      return;
    case 'Boolean':
      if (typeof value !== 'boolean') {
        if (typeof value === 'string') throw serializationError(`'${value.toUpperCase()}' can not be converted to an Boolean`);
        throw wrongJsonType(value, 'Boolean');
      }
      return;
    case 'List':
      if (!Array.isArray(value)) throw wrongJsonType(value, 'List');
      for (const v of value) checkTypes(v, shape.member);
      return;
    case 'Map':
      if (typeof value !== 'object' || Array.isArray(value)) throw wrongJsonType(value, 'Map');
      for (const v of Object.values(value as object)) checkTypes(v, shape.value);
      return;
    case 'Structure':
    case 'AttributeValue':
      if (typeof value !== 'object' || Array.isArray(value)) throw wrongJsonType(value, 'Structure');
      if (shape.type === 'Structure') {
        const obj = value as Record<string, unknown>;
        for (const [name, member] of Object.entries(shape.members)) checkTypes(obj[name], member);
      }
      return;
  }
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `'[${value.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(', ')}]'`;
  if (typeof value === 'object') return `'${JSON.stringify(value)}'`;
  return `'${String(value)}'`;
}

function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/** Second pass: constraints, collected in DynamoDB's order (declaration order). */
function checkConstraints(value: unknown, shape: Shape, path: string, errors: string[]): void {
  if (errors.length >= errorsListedMax) return;
  const fail = (constraint: string) => {
    if (errors.length < errorsListedMax) errors.push(`Value ${describeValue(value)} at '${path}' failed to satisfy constraint: ${constraint}`);
  };
  if (value === null || value === undefined) {
    if (shape.notNull) fail('Member must not be null');
    return;
  }
  switch (shape.type) {
    case 'String': {
      const s = value as string;
      if (shape.minLength !== undefined && s.length < shape.minLength) fail(`Member must have length greater than or equal to ${shape.minLength}`);
      if (shape.maxLength !== undefined && s.length > shape.maxLength) fail(`Member must have length less than or equal to ${shape.maxLength}`);
      if (shape.pattern && !shape.pattern.test(s)) fail(`Member must satisfy regular expression pattern: ${shape.patternText}`);
      if (shape.enum && !shape.enum.includes(s)) fail(`Member must satisfy enum value set: [${shape.enum.join(', ')}]`);
      return;
    }
    case 'Integer':
    case 'Long': {
      const n = value as number;
      if (shape.min !== undefined && n < shape.min) fail(`Member must have value greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && n > shape.max) fail(`Member must have value less than or equal to ${shape.max}`);
      return;
    }
    case 'Boolean':
    case 'AttributeValue':
      return;
    case 'List': {
      const list = value as unknown[];
      if (shape.minLength !== undefined && list.length < shape.minLength) fail(`Member must have length greater than or equal to ${shape.minLength}`);
      if (shape.maxLength !== undefined && list.length > shape.maxLength) fail(`Member must have length less than or equal to ${shape.maxLength}`);
      for (let i = 0; i < list.length; i++) checkConstraints(list[i], shape.member, `${path}.${i + 1}.member`, errors);
      return;
    }
    case 'Map': {
      const map = value as Record<string, unknown>;
      const keys = Object.keys(map);
      if (shape.minLength !== undefined && keys.length < shape.minLength) fail(`Member must have length greater than or equal to ${shape.minLength}`);
      if (shape.maxLength !== undefined && keys.length > shape.maxLength) fail(`Member must have length less than or equal to ${shape.maxLength}`);
      for (const k of keys) checkConstraints(map[k], shape.value, `${path}.${k}.member`, errors);
      return;
    }
    case 'Structure': {
      const obj = value as Record<string, unknown>;
      for (const [name, member] of Object.entries(shape.members)) {
        checkConstraints(obj[name], member, path === '' ? lowerFirst(name) : `${path}.${lowerFirst(name)}`, errors);
      }
      return;
    }
  }
}

/**
 * Whether `value` passes both passes with no error at all: the same rules as checkTypes and
 * checkConstraints, without building paths, messages or closures. Nearly every request does,
 * so only those that do not pay for the passes that say exactly what is wrong.
 */
function passes(value: unknown, shape: Shape): boolean {
  if (value === null || value === undefined) return shape.notNull !== true;
  switch (shape.type) {
    case 'String': {
      if (typeof value !== 'string') return false;
      if (shape.minLength !== undefined && value.length < shape.minLength) return false;
      if (shape.maxLength !== undefined && value.length > shape.maxLength) return false;
      if (shape.pattern !== undefined && !shape.pattern.test(value)) return false;
      return shape.enum === undefined || shape.enum.includes(value);
    }
    case 'Integer':
    case 'Long':
      if (typeof value !== 'number') return false;
      if (shape.min !== undefined && value < shape.min) return false;
      return shape.max === undefined || value <= shape.max;
    case 'Boolean':
      return typeof value === 'boolean';
    case 'AttributeValue':
      return typeof value === 'object' && !Array.isArray(value);
    case 'List': {
      if (!Array.isArray(value)) return false;
      if (shape.minLength !== undefined && value.length < shape.minLength) return false;
      if (shape.maxLength !== undefined && value.length > shape.maxLength) return false;
      const member = shape.member;
      for (let i = 0; i < value.length; i++) if (!passes(value[i], member)) return false;
      return true;
    }
    case 'Map': {
      if (typeof value !== 'object' || Array.isArray(value)) return false;
      const map = value as Record<string, unknown>;
      const valueShape = shape.value;
      let count = 0;
      for (const key in map) {
        count++;
        if (!passes(map[key], valueShape)) return false;
      }
      if (shape.minLength !== undefined && count < shape.minLength) return false;
      return shape.maxLength === undefined || count <= shape.maxLength;
    }
    case 'Structure': {
      if (typeof value !== 'object' || Array.isArray(value)) return false;
      const obj = value as Record<string, unknown>;
      const members = shape.members;
      for (const name in members) if (!passes(obj[name], members[name])) return false;
      return true;
    }
  }
}

/** The root Structure of each operation's members, made once. */
const roots = new WeakMap<Record<string, Shape>, Shape>();

/** Validates a whole request body against its operation's top-level members. */
export function checkRequestShape(body: Record<string, unknown>, members: Record<string, Shape>): void {
  let root = roots.get(members);
  if (root === undefined) {
    root = { type: 'Structure', members };
    roots.set(members, root);
  }
  if (passes(body, root)) return;
  checkTypes(body, root);
  const errors: string[] = [];
  checkConstraints(body, root, '', errors);
  if (errors.length > 0) {
    throw validationError(`${errors.length} validation error${errors.length > 1 ? 's' : ''} detected: ${errors.join('; ')}`);
  }
}

/** The TableName member every table-addressed operation has. */
export const tableNameShape: Shape = {
  type: 'String',
  notNull: true,
  minLength: 3,
  maxLength: 255,
  pattern: /^[a-zA-Z0-9_.-]+$/,
  patternText: '[a-zA-Z0-9_.-]+',
};
