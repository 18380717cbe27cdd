// Applies a compiled UpdateExpression to an item, copy-on-write: the old item is left intact
// (ReturnValues ALL_OLD / UPDATED_OLD read it), and only the containers on updated paths are
// copied. Every right-hand side is evaluated against the old item before anything is written,
// as DynamoDB does ("SET a = b REMOVE b" copies b's old value).

import type { AttributeValue, Item } from '../values/types.ts';
import { addNumbers, subtractNumbers } from '../values/number.ts';
import { validationError } from '../protocol/errors.ts';
import { setHas, typeOf } from './attribute-ops.ts';
import type { DocumentPath } from './ast.ts';
import { OperandKind, type CompiledUpdate, type CompiledUpdateAction, type Operand } from './compile.ts';
import { getPath, ownValue } from './evaluate.ts';

export const missingAttributeMessage = 'The provided expression refers to an attribute that does not exist in the item';
export const incorrectOperandTypeMessage = 'An operand in the update expression has an incorrect data type';
export const invalidDocumentPathMessage = 'The document path provided in the update expression is invalid for update';

export interface UpdateResult {
  /** The item after the update (a new object; the input item is not modified). */
  readonly item: Item;
  /**
   * The document paths the update set, added to, deleted from or removed, in the form they have
   * in the new item (a SET past the end of a list names the index the value landed at). Project
   * the old and new items onto them for ReturnValues UPDATED_OLD / UPDATED_NEW.
   */
  readonly updatedPaths: DocumentPath[];
}

type Container = { [name: string]: AttributeValue } | AttributeValue[];

function setOwn(map: { [name: string]: AttributeValue }, name: string, value: AttributeValue): void {
  if (name === '__proto__') Object.defineProperty(map, name, { value, enumerable: true, writable: true, configurable: true });
  else map[name] = value;
}

/** Computes a SET value against the old item. */
function computeValue(operand: Operand, old: Item): AttributeValue {
  switch (operand.kind) {
    case OperandKind.Value:
      return operand.value!;
    case OperandKind.Path: {
      const value = getPath(old, operand.path!);
      if (value === undefined) throw validationError(missingAttributeMessage);
      return value;
    }
    case OperandKind.IfNotExists:
      return getPath(old, operand.path!) ?? computeValue(operand.a!, old);
    case OperandKind.ListAppend: {
      const a = computeValue(operand.a!, old) as { L?: AttributeValue[] };
      const b = computeValue(operand.b!, old) as { L?: AttributeValue[] };
      if (a.L === undefined || b.L === undefined) throw validationError(incorrectOperandTypeMessage);
      return { L: a.L.concat(b.L) };
    }
    case OperandKind.Add:
    case OperandKind.Subtract: {
      const a = computeValue(operand.a!, old) as { N?: string };
      const b = computeValue(operand.b!, old) as { N?: string };
      if (a.N === undefined || b.N === undefined) throw validationError(incorrectOperandTypeMessage);
      return { N: operand.kind === OperandKind.Add ? addNumbers(a.N, b.N) : subtractNumbers(a.N, b.N) };
    }
    default:
      throw validationError(incorrectOperandTypeMessage);
  }
}

/** Copy-on-write access to the containers of the new item. */
class ItemWriter {
  private readonly copied = new Set<AttributeValue>();

  constructor(
    readonly item: Item,
    /** When the item did not exist, REMOVE of a nested path is a no-op instead of an error. */
    private readonly itemExisted: boolean,
  ) {}

  /**
   * The container holding the last step of `path`, copied so it can be written, or null when a
   * parent is missing or of the wrong type.
   */
  parentOf(path: DocumentPath): Container | null {
    let container: Container = this.item;
    for (let i = 0; i < path.length - 1; i++) {
      const step = path[i]!;
      const nextStep = path[i + 1]!;
      let child: AttributeValue | undefined;
      if (Array.isArray(container)) child = typeof step === 'number' ? container[step] : undefined;
      else child = typeof step === 'string' ? ownValue(container, step) : undefined;
      if (child === undefined) return null;
      const wantList = typeof nextStep === 'number';
      const inner: AttributeValue[] | { [name: string]: AttributeValue } | undefined = wantList ? (child as { L?: AttributeValue[] }).L : (child as { M?: { [name: string]: AttributeValue } }).M;
      if (inner === undefined) return null;
      if (!this.copied.has(child)) {
        const copy: AttributeValue = wantList ? { L: (inner as AttributeValue[]).slice() } : { M: { ...(inner as object) } };
        this.copied.add(copy);
        if (Array.isArray(container)) container[step as number] = copy;
        else setOwn(container, step as string, copy);
        child = copy;
      }
      container = wantList ? (child as { L: AttributeValue[] }).L : (child as { M: { [name: string]: AttributeValue } }).M;
    }
    return container;
  }

  /** Writes a value; returns the path it landed at (an index past the end appends). */
  set(path: DocumentPath, value: AttributeValue): DocumentPath {
    const container = this.parentOf(path);
    const last = path[path.length - 1]!;
    if (container === null || Array.isArray(container) !== (typeof last === 'number')) {
      throw validationError(invalidDocumentPathMessage);
    }
    if (Array.isArray(container)) {
      const index = last as number;
      if (index < container.length) {
        container[index] = value;
        return path;
      }
      container.push(value);
      const landed = path.slice();
      landed[landed.length - 1] = container.length - 1;
      return landed;
    }
    setOwn(container, last as string, value);
    return path;
  }

  /** The current value at a path (in the new item), or undefined; throws if a parent is invalid. */
  current(path: DocumentPath): { container: Container; value: AttributeValue | undefined } {
    const container = this.parentOf(path);
    const last = path[path.length - 1]!;
    if (container === null || Array.isArray(container) !== (typeof last === 'number')) {
      throw validationError(invalidDocumentPathMessage);
    }
    const value = Array.isArray(container) ? container[last as number] : ownValue(container, last as string);
    return { container, value };
  }

  remove(path: DocumentPath): void {
    const container = this.parentOf(path);
    const last = path[path.length - 1]!;
    if (container === null || Array.isArray(container) !== (typeof last === 'number')) {
      if (!this.itemExisted) return;
      throw validationError(invalidDocumentPathMessage);
    }
    if (Array.isArray(container)) {
      const index = last as number;
      if (index < container.length) container.splice(index, 1);
    } else if (ownValue(container, last as string) !== undefined) {
      delete container[last as string];
    }
  }
}

function lastIndex(action: CompiledUpdateAction): number {
  const last = action.path[action.path.length - 1];
  return typeof last === 'number' ? last : -1;
}

function addTo(existing: AttributeValue | undefined, operand: AttributeValue): AttributeValue {
  const type = typeOf(operand);
  if (type === 'N') {
    if (existing === undefined) return operand;
    const current = (existing as { N?: string }).N;
    if (current === undefined) throw validationError(incorrectOperandTypeMessage);
    return { N: addNumbers(current, (operand as { N: string }).N) };
  }
  const setType = type as 'SS' | 'NS' | 'BS';
  const additions = (operand as Record<string, string[]>)[setType]!;
  if (existing === undefined) return { [setType]: additions.slice() } as AttributeValue;
  const current = (existing as Record<string, string[] | undefined>)[setType];
  if (current === undefined) throw validationError(incorrectOperandTypeMessage);
  const union = current.slice();
  for (const element of additions) if (!setHas(setType, current, element)) union.push(element);
  return { [setType]: union } as AttributeValue;
}

/** The set left after deleting `operand`'s elements, or null when nothing is left. */
function deleteFrom(existing: AttributeValue, operand: AttributeValue): AttributeValue | null {
  const setType = typeOf(operand) as 'SS' | 'NS' | 'BS';
  const current = (existing as Record<string, string[] | undefined>)[setType];
  if (current === undefined) throw validationError(incorrectOperandTypeMessage);
  const removals = (operand as Record<string, string[]>)[setType]!;
  const kept: string[] = [];
  for (const element of current) if (!setHas(setType, removals, element)) kept.push(element);
  return kept.length === 0 ? null : ({ [setType]: kept } as AttributeValue);
}

function listAwareOrder(actions: CompiledUpdateAction[]): number[] {
  const order: number[] = [];
  for (let i = 0; i < actions.length; i++) order.push(i);
  order.sort((x, y) => {
    const a = actions[x]!;
    const b = actions[y]!;
    const removeA = a.section === 'REMOVE' ? 1 : 0;
    const removeB = b.section === 'REMOVE' ? 1 : 0;
    if (removeA !== removeB) return removeA - removeB;
    const indexA = lastIndex(a);
    const indexB = lastIndex(b);
    if (indexA !== indexB) return removeA === 1 ? indexB - indexA : indexA - indexB;
    return x - y;
  });
  return order;
}

function isRemovedTopLevel(actions: CompiledUpdateAction[], name: string): boolean {
  for (let i = 0; i < actions.length; i++) {
    const action = actions[i]!;
    if (action.section === 'REMOVE' && action.path.length === 1 && action.path[0] === name) return true;
  }
  return false;
}

function copyWithoutRemoved(old: Item, actions: CompiledUpdateAction[]): Item {
  const copy: Item = {};
  for (const name in old) {
    if (!isRemovedTopLevel(actions, name)) setOwn(copy, name, old[name]!);
  }
  return copy;
}

/**
 * Applies an UpdateExpression. `item` undefined means the key does not exist yet (UpdateItem
 * creates it). Throws DynamoDB's ValidationExceptions for type mismatches and invalid paths.
 */
export function applyUpdate(compiled: CompiledUpdate, item: Item | undefined): UpdateResult {
  const old: Item = item ?? {};
  const actions = compiled.actions;

  // Right-hand sides first, all against the old item.
  const setValues: Array<AttributeValue | null> = new Array(actions.length);
  for (let i = 0; i < actions.length; i++) {
    const action = actions[i]!;
    setValues[i] = action.section === 'SET' ? computeValue(action.value!, old) : null;
  }

  // SETs with list indexes apply in index order, so several appends keep their relative order
  // ("SET a[84] = :x, a[17] = :y" appends y then x); REMOVEs of list elements apply from the
  // highest index down, so every index refers to the list as it was before the update. Without
  // list indexes the order does not matter (paths never overlap).
  let order: number[] | null = null;
  for (let i = 0; i < actions.length && order === null; i++) {
    if (lastIndex(actions[i]!) >= 0) order = listAwareOrder(actions);
  }

  // Top-level REMOVEs are applied by leaving the attributes out of the copy: deleting from an
  // object would turn it into a slow dictionary-mode object.
  const writer = new ItemWriter(copyWithoutRemoved(old, actions), item !== undefined);
  const updatedPaths: DocumentPath[] = new Array(actions.length);
  for (let k = 0; k < actions.length; k++) {
    const i = order === null ? k : order[k]!;
    const action = actions[i]!;
    switch (action.section) {
      case 'SET':
        updatedPaths[i] = writer.set(action.path, setValues[i]!);
        break;
      case 'REMOVE':
        if (action.path.length > 1) writer.remove(action.path);
        updatedPaths[i] = action.path;
        break;
      case 'ADD': {
        const { value } = writer.current(action.path);
        writer.set(action.path, addTo(value, action.operand!));
        updatedPaths[i] = action.path;
        break;
      }
      case 'DELETE': {
        const { value } = writer.current(action.path);
        if (value !== undefined) {
          const remaining = deleteFrom(value, action.operand!);
          if (remaining === null) writer.remove(action.path);
          else writer.set(action.path, remaining);
        }
        updatedPaths[i] = action.path;
        break;
      }
    }
  }
  return { item: writer.item, updatedPaths };
}

/** Whether an update only takes away (REMOVE, DELETE): on a missing item DynamoDB then creates none. */
export function onlyTakesAway(compiled: CompiledUpdate): boolean {
  for (const action of compiled.actions) if (action.section !== 'REMOVE' && action.section !== 'DELETE') return false;
  return true;
}

/** The distinct top-level attribute names an update writes, in expression order. */
export function updatedAttributeNames(compiled: CompiledUpdate): string[] {
  const names: string[] = [];
  for (const action of compiled.actions) {
    const name = action.path[0] as string;
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

/**
 * DynamoDB's check that an update leaves the primary key alone: "One or more parameter values
 * were invalid: Cannot update attribute pk. This attribute is part of the key".
 */
export function assertKeyNotUpdated(compiled: CompiledUpdate, keyAttributeNames: readonly string[]): void {
  for (const action of compiled.actions) {
    const name = action.path[0] as string;
    if (keyAttributeNames.includes(name)) {
      throw validationError(`One or more parameter values were invalid: Cannot update attribute ${name}. This attribute is part of the key`);
    }
  }
}
