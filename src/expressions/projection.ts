// ProjectionExpression (and ReturnValues UPDATED_*) projection: copies the values at the given
// document paths into a new item with the same nesting. As in DynamoDB, list elements picked by
// index come back as a shorter list in index order (a[3], a[1] → [a[1], a[3]]), and paths that
// do not exist in the item are left out.

import type { AttributeValue, Item } from '../values/types.ts';
import type { DocumentPath } from './ast.ts';
import type { CompiledProjection } from './compile.ts';
import { ownValue } from './evaluate.ts';

/** A node of the projected tree: a whole value, or children keyed by name or list index. */
interface ProjectedNode {
  value: AttributeValue | null;
  children: Map<string | number, ProjectedNode> | null;
  isList: boolean;
}

function setOwn(map: { [name: string]: AttributeValue }, name: string, value: AttributeValue): void {
  if (name === '__proto__') Object.defineProperty(map, name, { value, enumerable: true, writable: true, configurable: true });
  else map[name] = value;
}

function materialize(node: ProjectedNode): AttributeValue {
  if (node.value !== null) return node.value;
  const children = node.children!;
  if (node.isList) {
    const indexes = [...children.keys()] as number[];
    indexes.sort((a, b) => a - b);
    return { L: indexes.map((index) => materialize(children.get(index)!)) };
  }
  const map: { [name: string]: AttributeValue } = {};
  for (const [name, child] of children) setOwn(map, name as string, materialize(child));
  return { M: map };
}

/** Projects `item` onto document paths (which must not overlap; compiled projections never do). */
export function projectPaths(item: Item, paths: readonly DocumentPath[]): Item {
  const top = new Map<string, ProjectedNode>();
  for (const path of paths) {
    let value = ownValue(item, path[0] as string);
    if (value === undefined) continue;
    // Walk the source first: a path that does not exist contributes nothing.
    const values: AttributeValue[] = [value];
    for (let i = 1; i < path.length && value !== undefined; i++) {
      const step = path[i]!;
      if (typeof step === 'number') {
        const list: AttributeValue[] | undefined = (value as { L?: AttributeValue[] }).L;
        value = list === undefined ? undefined : list[step];
      } else {
        const map: { [name: string]: AttributeValue } | undefined = (value as { M?: { [name: string]: AttributeValue } }).M;
        value = map === undefined ? undefined : ownValue(map, step);
      }
      if (value !== undefined) values.push(value);
    }
    if (value === undefined) continue;
    let node = top.get(path[0] as string);
    if (node === undefined) {
      node = { value: null, children: null, isList: false };
      top.set(path[0] as string, node);
    }
    for (let i = 1; i < path.length; i++) {
      if (node.value !== null) break; // an enclosing path already projects the whole value
      const step = path[i]!;
      node.isList = typeof step === 'number';
      node.children ??= new Map();
      let child = node.children.get(step);
      if (child === undefined) {
        child = { value: null, children: null, isList: false };
        node.children.set(step, child);
      }
      node = child;
    }
    node.value = values[values.length - 1]!;
    node.children = null;
  }
  const result: Item = {};
  for (const [name, node] of top) setOwn(result, name, materialize(node));
  return result;
}

/** Applies a compiled ProjectionExpression to an item. */
export function project(compiled: CompiledProjection, item: Item): Item {
  if (compiled.topLevelOnly) {
    const result: Item = {};
    const paths = compiled.paths;
    for (let i = 0; i < paths.length; i++) {
      const name = paths[i]![0] as string;
      const value = ownValue(item, name);
      if (value !== undefined) setOwn(result, name, value);
    }
    return result;
  }
  return projectPaths(item, compiled.paths);
}
