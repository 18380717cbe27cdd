// The parsed form of a PartiQL statement, as the parser reads it and before any table is looked
// at. Every node keeps the position of its first token for the messages that carry one.
import type { SourcePosition } from './messages.ts';

export type Literal =
  | { readonly t: 'string'; readonly s: string }
  /** The number as written ("-7.31e6"); converted, and checked, when the statement is translated. */
  | { readonly t: 'number'; readonly text: string }
  | { readonly t: 'bool'; readonly b: boolean }
  | { readonly t: 'null' }
  | { readonly t: 'missing' };

export type PathStep =
  | { readonly k: 'name'; readonly name: string }
  /** `[expr]`: a list index (a number) or a map key (a string). */
  | { readonly k: 'index'; readonly expr: Expr }
  /** `.*` or `[*]`, which DynamoDB refuses. */
  | { readonly k: 'wildcard' };

export type ComparisonOp = '=' | '<>' | '<' | '<=' | '>' | '>=';
export type BinaryOp = ComparisonOp | 'and' | 'or' | '+' | '-' | '*' | '/' | '%' | '||';

export type Expr =
  | { readonly k: 'id'; readonly name: string; readonly quoted: boolean; readonly at: SourcePosition }
  | { readonly k: 'path'; readonly root: Expr; readonly steps: PathStep[]; readonly at: SourcePosition }
  | { readonly k: 'lit'; readonly v: Literal; readonly at: SourcePosition }
  /** `?`: the index-th parameter of the request, counted from 0 in statement order. */
  | { readonly k: 'param'; readonly index: number; readonly at: SourcePosition }
  | { readonly k: 'list'; readonly items: Expr[]; readonly at: SourcePosition }
  | { readonly k: 'bag'; readonly items: Expr[]; readonly at: SourcePosition }
  | { readonly k: 'struct'; readonly fields: { key: Expr; value: Expr }[]; readonly at: SourcePosition }
  /** A function call; `name` in lower case as functions are matched case-insensitively. */
  | { readonly k: 'call'; readonly name: string; readonly args: Expr[]; readonly at: SourcePosition }
  | { readonly k: 'not'; readonly operand: Expr; readonly at: SourcePosition }
  | { readonly k: 'negate'; readonly operand: Expr; readonly at: SourcePosition }
  | { readonly k: 'binary'; readonly op: BinaryOp; readonly left: Expr; readonly right: Expr; readonly at: SourcePosition }
  | { readonly k: 'between'; readonly operand: Expr; readonly low: Expr; readonly high: Expr; readonly negated: boolean; readonly at: SourcePosition }
  | { readonly k: 'in'; readonly operand: Expr; readonly list: Expr; readonly negated: boolean; readonly at: SourcePosition }
  | { readonly k: 'like'; readonly operand: Expr; readonly pattern: Expr; readonly negated: boolean; readonly at: SourcePosition }
  /** `x IS [NOT] type`; `type` in upper case, multi-word names joined by one space. */
  | { readonly k: 'is'; readonly operand: Expr; readonly type: string; readonly negated: boolean; readonly at: SourcePosition }
  /** A SELECT used as an expression: only inside EXISTS(...). */
  | { readonly k: 'select'; readonly select: SelectStatement; readonly at: SourcePosition };

/** The table, or the table's index, a statement names ("table" or "table"."index"). */
export interface Source {
  readonly table: string;
  readonly index: string | undefined;
  readonly at: SourcePosition;
}

export interface OrderByItem {
  readonly expr: Expr;
  readonly descending: boolean;
}

export interface SelectStatement {
  readonly kind: 'select';
  /** null for `*`. */
  readonly projection: Expr[] | null;
  readonly source: Source;
  readonly where: Expr | null;
  readonly orderBy: OrderByItem[];
}

export interface InsertStatement {
  readonly kind: 'insert';
  readonly source: Source;
  readonly value: Expr;
}

export type UpdateAction = { readonly k: 'set'; readonly target: Expr; readonly value: Expr; readonly at: SourcePosition } | { readonly k: 'remove'; readonly target: Expr; readonly at: SourcePosition };

export type Returning = 'ALL_OLD' | 'MODIFIED_OLD' | 'ALL_NEW' | 'MODIFIED_NEW';

export interface UpdateStatement {
  readonly kind: 'update';
  readonly source: Source;
  readonly actions: UpdateAction[];
  readonly where: Expr | null;
  readonly returning: Returning | null;
}

export interface DeleteStatement {
  readonly kind: 'delete';
  readonly source: Source;
  readonly where: Expr | null;
  readonly returning: Returning | null;
}

/** `EXISTS(SELECT ...)` or `NOT EXISTS(SELECT ...)`: a condition check in ExecuteTransaction. */
export interface ExistsStatement {
  readonly kind: 'exists';
  readonly negated: boolean;
  readonly select: SelectStatement;
}

export type Statement = SelectStatement | InsertStatement | UpdateStatement | DeleteStatement | ExistsStatement;

/** A parsed statement and how many `?` parameters it holds. */
export interface ParsedStatement {
  readonly statement: Statement;
  readonly parameterCount: number;
}
