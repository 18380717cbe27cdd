// The parsed form of an expression, before ExpressionAttributeNames/Values are substituted.
// A parsed expression depends only on its text, so it is cached and shared between requests.

/** One step of a document path as written: a name, a #alias, or a [list index]. */
export interface PathPart {
  readonly kind: 'name' | 'alias' | 'index';
  /** The name or alias as written ('' for an index). */
  readonly text: string;
  /** The list index (-1 for a name or alias). */
  readonly index: number;
}

/** A resolved document path: attribute names and list indexes. */
export type DocumentPath = Array<string | number>;

export interface PathNode {
  readonly type: 'path';
  readonly parts: PathPart[];
  /** The resolved path when no part is an alias (shared by every request), else null. */
  readonly literal: DocumentPath | null;
  parens: number;
}

export interface ValueNode {
  readonly type: 'value';
  /** ':name' as written. */
  readonly name: string;
  parens: number;
}

export interface FunctionNode {
  readonly type: 'function';
  readonly name: string;
  readonly args: OperandNode[];
  parens: number;
}

/** `a + b` or `a - b`, only on the right-hand side of a SET action. */
export interface ArithmeticNode {
  readonly type: 'arithmetic';
  readonly op: '+' | '-';
  readonly left: OperandNode;
  readonly right: OperandNode;
  parens: number;
}

export type OperandNode = PathNode | ValueNode | FunctionNode | ArithmeticNode;

export type Comparator = '=' | '<>' | '<' | '<=' | '>' | '>=';

export interface CompareNode {
  readonly type: 'compare';
  readonly op: Comparator;
  readonly left: OperandNode;
  readonly right: OperandNode;
  parens: number;
}

export interface BetweenNode {
  readonly type: 'between';
  readonly operand: OperandNode;
  readonly low: OperandNode;
  readonly high: OperandNode;
  parens: number;
}

export interface InNode {
  readonly type: 'in';
  readonly operand: OperandNode;
  readonly list: OperandNode[];
  parens: number;
}

export interface LogicalNode {
  readonly type: 'and' | 'or';
  readonly left: ConditionNode;
  readonly right: ConditionNode;
  parens: number;
}

export interface NotNode {
  readonly type: 'not';
  readonly operand: ConditionNode;
  parens: number;
}

/** A function call used as a whole condition, e.g. attribute_exists(a). */
export type ConditionNode = CompareNode | BetweenNode | InNode | LogicalNode | NotNode | FunctionNode;

export type UpdateSection = 'SET' | 'REMOVE' | 'ADD' | 'DELETE';

export interface UpdateAction {
  readonly section: UpdateSection;
  readonly path: PathNode;
  /** SET: the new value; ADD/DELETE: the :value operand; REMOVE: null. */
  readonly value: OperandNode | null;
}

/** Which expression parameter an expression came from; also its name in error messages. */
export type ExpressionKind =
  | 'ConditionExpression'
  | 'FilterExpression'
  | 'KeyConditionExpression'
  | 'ProjectionExpression'
  | 'UpdateExpression';

/** What every parsed expression carries besides its tree. */
interface ParsedCommon {
  /** The first error that does not depend on the request's names and values, if any. */
  readonly staticError: string | null;
  /** Every #alias the expression uses (a request's names outside all such sets are unused). */
  readonly aliases: ReadonlySet<string>;
  /** Every :value the expression uses. */
  readonly valueRefs: ReadonlySet<string>;
}

export interface ParsedCondition extends ParsedCommon {
  readonly grammar: 'condition';
  readonly root: ConditionNode;
}

export interface ParsedUpdate extends ParsedCommon {
  readonly grammar: 'update';
  readonly actions: UpdateAction[];
}

export interface ParsedProjection extends ParsedCommon {
  readonly grammar: 'projection';
  readonly paths: PathNode[];
}

export type ParsedExpression = ParsedCondition | ParsedUpdate | ParsedProjection;

/** Formats a resolved path the way DynamoDB's messages do: [a, b, [2]]. */
export function formatPath(path: DocumentPath): string {
  let out = '[';
  for (let i = 0; i < path.length; i++) {
    if (i > 0) out += ', ';
    const part = path[i]!;
    out += typeof part === 'number' ? `[${part}]` : part;
  }
  return out + ']';
}
