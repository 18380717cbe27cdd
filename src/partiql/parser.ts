// The PartiQL parser for DynamoDB's subset: SELECT, INSERT, UPDATE (also written FROM-first),
// DELETE and EXISTS(SELECT ...), with PartiQL's literals, paths, parameters, functions and
// operators. A statement that cannot be read fails with the detail DynamoDB's parser gives;
// a statement that reads but uses a refused form (an alias, SELECT VALUE, ...) fails with
// DynamoDB's semantic message once the whole statement has been read, as DynamoDB does.
import type { DynamoError } from '../protocol/errors.ts';
import type { BinaryOp, Expr, Literal, OrderByItem, ParsedStatement, PathStep, Returning, SelectStatement, Source, Statement, UpdateAction } from './ast.ts';
import { tokenize, type Token } from './tokenizer.ts';
import * as m from './messages.ts';

/**
 * Words the PartiQL lexer reads as keywords (SQL-92's reserved words and PartiQL's own): written
 * bare where a name is expected they fail the statement; a "quoted" name is always a name.
 */
const keywords: ReadonlySet<string> = new Set(
  (
    'absolute action add all allocate alter and any are as asc assertion at authorization avg begin between bit ' +
    'bit_length both by cascade cascaded case cast catalog char char_length character character_length check close ' +
    'coalesce collate collation column commit connect connection constraint constraints continue convert ' +
    'corresponding count create cross current current_date current_time current_timestamp current_user cursor date ' +
    'deallocate dec decimal declare default deferrable deferred delete desc describe descriptor diagnostics ' +
    'disconnect distinct domain double drop else end escape except exception exec execute exists external extract ' +
    'false fetch first float for foreign found from full get global go goto grant group having hour identity ' +
    'immediate in indicator initially inner input insensitive insert int integer intersect interval into is ' +
    'isolation join key language last leading left level like local lower match max min minute module month names ' +
    'national natural nchar next no not null nullif numeric octet_length of on only open option or order outer ' +
    'output overlaps pad partial position precision prepare preserve primary prior privileges procedure public read ' +
    'real references relative restrict revoke right rollback rows schema scroll second section select session ' +
    'session_user set size smallint some space sql sqlcode sqlerror sqlstate substring sum system_user table ' +
    'temporary then time timestamp timezone_hour timezone_minute to trailing transaction translate translation trim ' +
    'true union unique unknown update upper usage user using value values varchar varying view when whenever where ' +
    'with work write year zone missing pivot unpivot limit tuple remove index let returning list bag struct string ' +
    'symbol blob clob bool boolean sexp'
  ).split(' '),
);

/** Keywords that name functions: followed by '(' they are a call (EXISTS(...), size(...)). */
const functionKeywords: ReadonlySet<string> = new Set([
  'exists', 'size', 'count', 'avg', 'max', 'min', 'sum', 'upper', 'lower', 'coalesce', 'nullif', 'char_length',
  'character_length', 'octet_length', 'bit_length', 'substring', 'trim', 'extract', 'cast', 'position',
]);

/** Keywords that are operators: where a term should start they are "Unexpected operator". */
const keywordOperators: ReadonlySet<string> = new Set(['and', 'or', 'is', 'in', 'like', 'between']);

/** Type names after IS, as PartiQL's parser accepts them, to the type each denotes. */
const typeNames: ReadonlyMap<string, string> = new Map([
  ['missing', 'MISSING'], ['null', 'NULL'], ['bool', 'BOOLEAN'], ['boolean', 'BOOLEAN'], ['smallint', 'SMALLINT'],
  ['int', 'INTEGER'], ['integer', 'INTEGER'], ['int4', 'INTEGER4'], ['int8', 'INTEGER8'], ['float', 'FLOAT'],
  ['real', 'REAL'], ['decimal', 'DECIMAL'], ['dec', 'DECIMAL'], ['numeric', 'NUMERIC'], ['timestamp', 'TIMESTAMP'],
  ['char', 'CHARACTER'], ['character', 'CHARACTER'], ['varchar', 'CHARACTER_VARYING'], ['string', 'STRING'],
  ['symbol', 'SYMBOL'], ['clob', 'CLOB'], ['blob', 'BLOB'], ['struct', 'STRUCT'], ['tuple', 'TUPLE'], ['list', 'LIST'],
  ['sexp', 'SEXP'], ['bag', 'BAG'], ['date', 'DATE'], ['time', 'TIME'], ['any', 'ANY'],
]);

type Infix = { readonly op: string; readonly precedence: number; readonly tokens: number };

/**
 * How deeply expressions may nest (parentheses, lists, structs, NOT, calls): the parser and the
 * translation recurse once per level, and a statement nested deeper is refused rather than
 * allowed to exhaust the stack (DynamoDB's limit is not documented).
 */
const expressionNestingMax = 256;

const precedence = { or: 10, and: 20, not: 30, equality: 40, relational: 45, predicate: 50, concat: 60, additive: 70, multiplicative: 80 } as const;

const punctuationInfix: ReadonlyMap<string, number> = new Map([
  ['=', precedence.equality], ['<>', precedence.equality], ['!=', precedence.equality],
  ['<', precedence.relational], ['<=', precedence.relational], ['>', precedence.relational], ['>=', precedence.relational],
  ['||', precedence.concat], ['+', precedence.additive], ['-', precedence.additive],
  ['*', precedence.multiplicative], ['/', precedence.multiplicative], ['%', precedence.multiplicative],
]);

/** Parses one statement. Throws DynamoError (ValidationException) with DynamoDB's message. */
export function parseStatement(text: string): ParsedStatement {
  return new Parser(tokenize(text)).statement();
}

class Parser {
  private readonly tokens: Token[];
  private i = 0;
  private parameters = 0;
  private depth = 0;
  /** The first semantic error met while reading; thrown only if the whole statement reads. */
  private deferred: DynamoError | null = null;

  constructor(tokens: Token[]) {
    this.tokens = tokens;
  }

  statement(): ParsedStatement {
    const first = this.peek();
    let statement: Statement | null = null;
    let expression: Expr | null = null;
    if (this.isWord(first, 'select')) {
      this.i++;
      statement = this.selectBody();
    } else if (this.isWord(first, 'insert')) {
      statement = this.insert();
    } else if (this.isWord(first, 'update')) {
      statement = this.update();
    } else if (this.isWord(first, 'delete')) {
      statement = this.delete();
    } else if (this.isWord(first, 'from')) {
      statement = this.fromFirstUpdate();
    } else {
      expression = this.expression(0);
    }
    if (this.peek().text === ';' && this.peek().kind === 'punct') this.i++;
    if (this.peek().kind !== 'eof') throw m.malformed(m.unexpectedTokenAfterExpression);
    if (this.deferred !== null) throw this.deferred;
    if (statement === null) statement = expressionStatement(expression!);
    return { statement, parameterCount: this.parameters };
  }

  // ---- tokens ----

  private peek(offset = 0): Token {
    const at = this.i + offset;
    return this.tokens[at < this.tokens.length ? at : this.tokens.length - 1]!;
  }

  private isWord(token: Token, word: string): boolean {
    return token.kind === 'ident' && token.lower === word;
  }

  private isPunct(token: Token, p: string): boolean {
    return token.kind === 'punct' && token.text === p;
  }

  private expectPunct(p: string, name: string): void {
    if (!this.isPunct(this.peek(), p)) throw m.malformed(m.expectedToken(name));
    this.i++;
  }

  private expectWord(word: string): void {
    if (!this.isWord(this.peek(), word)) throw m.malformed(m.expectedToken(word.toUpperCase()));
    this.i++;
  }

  private defer(error: DynamoError): void {
    this.deferred ??= error;
  }

  private isName(token: Token): boolean {
    return token.kind === 'quoted' || (token.kind === 'ident' && !keywords.has(token.lower));
  }

  // ---- statements ----

  private selectBody(): SelectStatement {
    let projection: Expr[] | null = [];
    let star = false;
    const head = this.peek();
    if (this.isWord(head, 'value') || this.isWord(head, 'pivot')) {
      this.i++;
      this.defer(m.statementError(m.selectValueNotSupported));
      this.expression(0);
    } else {
      if (this.isWord(head, 'all')) this.i++;
      if (this.isWord(this.peek(), 'from')) throw m.malformed(m.emptySelectList);
      for (;;) {
        if (this.isPunct(this.peek(), '*')) {
          this.i++;
          star = true;
        } else {
          projection.push(this.expression(0));
          this.alias();
        }
        if (!this.isPunct(this.peek(), ',')) break;
        this.i++;
      }
      if (star && projection.length > 0) this.defer(m.statementError(m.starAndOtherAttributes));
      if (star) projection = null;
    }
    if (!this.isWord(this.peek(), 'from')) throw m.malformed(m.expectedFromAfterSelectList);
    this.i++;
    const source = this.source(this.expression(0));
    this.alias();
    while (this.isPunct(this.peek(), ',')) {
      this.i++;
      this.expression(0);
      this.alias();
      this.defer(m.statementError(m.multipleFromSources));
    }
    const where = this.optionalWhere();
    const orderBy: OrderByItem[] = [];
    if (this.isWord(this.peek(), 'order')) {
      this.i++;
      this.expectWord('by');
      for (;;) {
        const expr = this.expression(0);
        let descending = false;
        if (this.isWord(this.peek(), 'desc')) {
          descending = true;
          this.i++;
        } else if (this.isWord(this.peek(), 'asc')) {
          this.i++;
        }
        orderBy.push({ expr, descending });
        if (!this.isPunct(this.peek(), ',')) break;
        this.i++;
      }
    }
    return { kind: 'select', projection, source, where, orderBy };
  }

  private insert(): Statement {
    this.i++;
    this.expectWord('into');
    const source = this.simpleSource();
    let value: Expr;
    if (this.isWord(this.peek(), 'value')) {
      this.i++;
      value = this.expression(0);
      if (this.isWord(this.peek(), 'at')) {
        this.i++;
        this.expression(0);
        this.defer(m.statementError(m.insertAtNotSupported));
      }
    } else {
      // INSERT INTO t <bag of items>: PartiQL's multi-item form, which DynamoDB refuses.
      value = this.expression(0);
      this.defer(m.statementError(m.insertMultipleItems));
    }
    if (this.isWord(this.peek(), 'returning')) {
      this.returning();
      this.defer(m.statementError(m.returningInInsert));
    }
    return { kind: 'insert', source, value };
  }

  private update(): Statement {
    this.i++;
    const source = this.simpleSource();
    this.alias();
    const actions = this.updateActions();
    const where = this.optionalWhere();
    const returning = this.isWord(this.peek(), 'returning') ? this.returning() : null;
    return { kind: 'update', source, actions, where, returning };
  }

  /** `FROM table WHERE ... SET ... | REMOVE ...`: PartiQL's FROM-first form of UPDATE. */
  private fromFirstUpdate(): Statement {
    this.i++;
    const source = this.source(this.expression(0));
    this.alias();
    const where = this.optionalWhere();
    const actions = this.updateActions();
    const returning = this.isWord(this.peek(), 'returning') ? this.returning() : null;
    return { kind: 'update', source, actions, where, returning };
  }

  private delete(): Statement {
    this.i++;
    if (!this.isWord(this.peek(), 'from')) throw m.malformed(m.expectedFromAfterDelete);
    this.i++;
    const source = this.simpleSource();
    this.alias();
    const where = this.optionalWhere();
    const returning = this.isWord(this.peek(), 'returning') ? this.returning() : null;
    return { kind: 'delete', source, where, returning };
  }

  private updateActions(): UpdateAction[] {
    const actions: UpdateAction[] = [];
    for (;;) {
      const token = this.peek();
      if (this.isWord(token, 'set')) {
        this.i++;
        for (;;) {
          const at = this.peek();
          const target = this.simplePath();
          this.expectPunct('=', 'EQ');
          actions.push({ k: 'set', target, value: this.expression(0), at });
          if (!this.isPunct(this.peek(), ',')) break;
          this.i++;
        }
      } else if (this.isWord(token, 'remove')) {
        this.i++;
        actions.push({ k: 'remove', target: this.simplePath(), at: token });
      } else {
        break;
      }
    }
    if (actions.length === 0) throw m.malformed(m.expectedDataManipulation);
    return actions;
  }

  private optionalWhere(): Expr | null {
    if (!this.isWord(this.peek(), 'where')) return null;
    this.i++;
    return this.expression(0);
  }

  /** `RETURNING (ALL | MODIFIED) (OLD | NEW) *`. */
  private returning(): Returning {
    this.i++;
    const which = this.peek();
    if (!this.isWord(which, 'all') && !this.isWord(which, 'modified')) throw m.malformed(m.expectedToken('ALL or MODIFIED'));
    this.i++;
    const age = this.peek();
    if (!this.isWord(age, 'old') && !this.isWord(age, 'new')) throw m.malformed(m.expectedToken('OLD or NEW'));
    this.i++;
    if (this.isPunct(this.peek(), '*')) {
      this.i++;
    } else {
      this.expression(0);
      this.defer(m.statementError(m.returningNeedsStar));
    }
    while (this.isPunct(this.peek(), ',')) {
      this.i++;
      if ((this.isWord(this.peek(), 'all') || this.isWord(this.peek(), 'modified')) && (this.isWord(this.peek(1), 'old') || this.isWord(this.peek(1), 'new'))) this.i += 2;
      if (this.isPunct(this.peek(), '*')) this.i++;
      else this.expression(0);
      this.defer(m.statementError(m.returningMultiple));
    }
    return `${which.lower === 'all' ? 'ALL' : 'MODIFIED'}_${age.lower === 'old' ? 'OLD' : 'NEW'}` as Returning;
  }

  /** An optional alias after a table (`t`, `AS t`, `AT t`): read, then refused. */
  private alias(): void {
    const token = this.peek();
    if (this.isWord(token, 'as') || this.isWord(token, 'at') || this.isWord(token, 'by')) {
      this.i++;
      if (!this.isName(this.peek())) throw m.malformed(m.expectedToken('IDENTIFIER'));
      this.i++;
      this.defer(m.statementError(m.aliasingNotSupported));
    } else if (this.isName(token) && !(token.kind === 'ident' && contextualWords.has(token.lower))) {
      this.i++;
      this.defer(m.statementError(m.aliasingNotSupported));
    }
  }

  /** The table (and index) a SELECT or FROM-first UPDATE reads: "table" or "table"."index". */
  private source(expr: Expr): Source {
    const at = expr.at;
    if (expr.k === 'id') return { table: expr.name, index: undefined, at };
    if (expr.k === 'path' && expr.root.k === 'id' && expr.steps.every((s) => s.k === 'name')) {
      if (expr.steps.length > 1) this.defer(m.statementError(m.fromPathTooLong));
      const step = expr.steps[0] as { k: 'name'; name: string };
      return { table: expr.root.name, index: step.name, at };
    }
    this.defer(m.statementError(m.unexpectedFromSource));
    return { table: '', index: undefined, at };
  }

  /** The target of INSERT INTO, UPDATE and DELETE FROM: a name, optionally "table"."index". */
  private simpleSource(): Source {
    const first = this.peek();
    if (!this.isName(first)) throw m.malformed(m.expectedSimplePathIdentifier);
    this.i++;
    let index: string | undefined;
    let components = 1;
    while (this.isPunct(this.peek(), '.')) {
      this.i++;
      const part = this.peek();
      if (!this.isName(part)) throw m.malformed(m.invalidPathDotComponent);
      this.i++;
      components++;
      index ??= part.text;
    }
    if (components > 2) this.defer(m.statementError(m.fromPathTooLong));
    return { table: first.text, index, at: first };
  }

  /** An assignment target or REMOVE path: a name followed by .name and [index] steps. */
  private simplePath(): Expr {
    const first = this.peek();
    if (!this.isName(first)) throw m.malformed(m.expectedSimplePathIdentifier);
    this.i++;
    const root: Expr = { k: 'id', name: first.text, quoted: first.kind === 'quoted', at: first };
    return this.pathSteps(root);
  }

  // ---- expressions ----

  private expression(min: number): Expr {
    if (++this.depth > expressionNestingMax) throw m.malformed('');
    try {
      return this.infixExpression(min);
    } finally {
      this.depth--;
    }
  }

  private infixExpression(min: number): Expr {
    let left = this.unary();
    for (;;) {
      const infix = this.infix();
      if (infix === null || infix.precedence <= min) return left;
      const opToken = this.peek();
      this.i += infix.tokens;
      const negated = infix.op.startsWith('not ');
      const op = negated ? infix.op.slice(4) : infix.op;
      switch (op) {
        case 'is': {
          let isNegated = false;
          if (this.isWord(this.peek(), 'not')) {
            this.i++;
            isNegated = true;
          }
          left = { k: 'is', operand: left, type: this.typeName(), negated: isNegated, at: opToken };
          break;
        }
        case 'in': {
          let list: Expr;
          const next = this.peek();
          if (this.isPunct(next, '(') && !this.isWord(this.peek(1), 'select') && !this.isWord(this.peek(1), 'values')) {
            this.i++;
            const items = this.isPunct(this.peek(), ')') ? [] : this.argumentList();
            this.expectPunct(')', 'RIGHT_PAREN');
            list = { k: 'list', items, at: next };
          } else {
            list = this.right(infix.precedence);
          }
          left = { k: 'in', operand: left, list, negated, at: opToken };
          break;
        }
        case 'between': {
          const low = this.right(infix.precedence);
          this.expectWord('and');
          if (this.peek().kind === 'eof') throw m.malformed(m.expectedExpressionAfterAnd);
          const high = this.expression(infix.precedence);
          left = { k: 'between', operand: left, low, high, negated, at: opToken };
          break;
        }
        case 'like': {
          const pattern = this.right(infix.precedence);
          if (this.isWord(this.peek(), 'escape')) {
            this.i++;
            this.expression(infix.precedence);
          }
          left = { k: 'like', operand: left, pattern, negated, at: opToken };
          break;
        }
        default: {
          const right = this.right(infix.precedence);
          const binary = op === '!=' ? '<>' : op;
          left = { k: 'binary', op: binary as BinaryOp, left, right, at: opToken };
        }
      }
    }
  }

  /** The right operand of an infix operator; an operator with nothing after it has none. */
  private right(min: number): Expr {
    if (this.peek().kind === 'eof') throw m.malformed(m.missingRightHandSide);
    return this.expression(min);
  }

  private infix(): Infix | null {
    const token = this.peek();
    if (token.kind === 'punct') {
      const p = punctuationInfix.get(token.text);
      return p === undefined ? null : { op: token.text, precedence: p, tokens: 1 };
    }
    if (token.kind !== 'ident') return null;
    switch (token.lower) {
      case 'or':
        return { op: 'or', precedence: precedence.or, tokens: 1 };
      case 'and':
        return { op: 'and', precedence: precedence.and, tokens: 1 };
      case 'is':
      case 'in':
      case 'like':
      case 'between':
        return { op: token.lower, precedence: precedence.predicate, tokens: 1 };
      case 'not': {
        const after = this.peek(1);
        if (after.kind === 'ident' && (after.lower === 'in' || after.lower === 'like' || after.lower === 'between')) {
          return { op: `not ${after.lower}`, precedence: precedence.predicate, tokens: 2 };
        }
        return null;
      }
      default:
        return null;
    }
  }

  private unary(): Expr {
    const token = this.peek();
    if (token.kind === 'punct' && (token.text === '-' || token.text === '+')) {
      this.i++;
      const operand = this.unary();
      if (operand.k === 'lit' && operand.v.t === 'number') {
        if (token.text === '+') return operand;
        const text = operand.v.text.startsWith('-') ? operand.v.text.slice(1) : `-${operand.v.text}`;
        return { k: 'lit', v: { t: 'number', text }, at: token };
      }
      return token.text === '-' ? { k: 'negate', operand, at: token } : operand;
    }
    if (this.isWord(token, 'not')) {
      this.i++;
      return { k: 'not', operand: this.expression(precedence.not), at: token };
    }
    return this.pathSteps(this.term());
  }

  private pathSteps(root: Expr): Expr {
    const steps: PathStep[] = [];
    for (;;) {
      const token = this.peek();
      if (this.isPunct(token, '.')) {
        this.i++;
        const part = this.peek();
        if (this.isName(part)) {
          steps.push({ k: 'name', name: part.text });
        } else if (this.isPunct(part, '*')) {
          steps.push({ k: 'wildcard' });
        } else {
          throw m.malformed(m.invalidPathDotComponent);
        }
        this.i++;
      } else if (this.isPunct(token, '[')) {
        this.i++;
        if (this.isPunct(this.peek(), '*')) {
          this.i++;
          steps.push({ k: 'wildcard' });
        } else {
          steps.push({ k: 'index', expr: this.expression(0) });
        }
        this.expectPunct(']', 'RIGHT_BRACKET');
      } else {
        break;
      }
    }
    return steps.length === 0 ? root : { k: 'path', root, steps, at: root.at };
  }

  private term(): Expr {
    const token = this.peek();
    switch (token.kind) {
      case 'eof':
        throw m.malformed(m.unexpectedTerm);
      case 'param':
        this.i++;
        return { k: 'param', index: this.parameters++, at: token };
      case 'string':
        this.i++;
        return literal({ t: 'string', s: token.text }, token);
      case 'number':
        this.i++;
        return literal({ t: 'number', text: token.text }, token);
      case 'quoted':
        this.i++;
        if (this.isPunct(this.peek(), '(')) return this.call(token);
        return { k: 'id', name: token.text, quoted: true, at: token };
      case 'ident':
        return this.word(token);
      case 'punct':
        return this.punctuationTerm(token);
    }
  }

  private word(token: Token): Expr {
    const lower = token.lower;
    if (keywordOperators.has(lower)) throw m.malformed(m.unexpectedOperator);
    switch (lower) {
      case 'true':
      case 'false':
        this.i++;
        return literal({ t: 'bool', b: lower === 'true' }, token);
      case 'null':
        this.i++;
        return literal({ t: 'null' }, token);
      case 'missing':
        this.i++;
        return literal({ t: 'missing' }, token);
      case 'select':
        this.i++;
        return { k: 'select', select: this.selectBody(), at: token };
    }
    const isCall = this.isPunct(this.peek(1), '(');
    if (keywords.has(lower)) {
      if (isCall && functionKeywords.has(lower)) {
        this.i++;
        return this.call(token);
      }
      throw m.malformed(m.unexpectedKeyword);
    }
    this.i++;
    if (isCall) return this.call(token);
    return { k: 'id', name: token.text, quoted: false, at: token };
  }

  private punctuationTerm(token: Token): Expr {
    switch (token.text) {
      case '(': {
        this.i++;
        if (this.isPunct(this.peek(), ')')) throw m.malformed(m.emptyExpressionGroup);
        const items = this.argumentList();
        this.expectPunct(')', 'RIGHT_PAREN');
        return items.length === 1 ? items[0]! : { k: 'list', items, at: token };
      }
      case '[': {
        this.i++;
        const items = this.isPunct(this.peek(), ']') ? [] : this.argumentList();
        this.expectPunct(']', 'RIGHT_BRACKET');
        return { k: 'list', items, at: token };
      }
      case '<<': {
        this.i++;
        const items = this.isPunct(this.peek(), '>>') ? [] : this.argumentList();
        this.expectPunct('>>', 'RIGHT_DOUBLE_ANGLE_BRACKET');
        return { k: 'bag', items, at: token };
      }
      case '{': {
        this.i++;
        const fields: { key: Expr; value: Expr }[] = [];
        if (!this.isPunct(this.peek(), '}')) {
          for (;;) {
            const key = this.expression(0);
            this.expectPunct(':', 'COLON');
            fields.push({ key, value: this.expression(0) });
            if (!this.isPunct(this.peek(), ',')) break;
            this.i++;
          }
        }
        this.expectPunct('}', 'RIGHT_CURLY');
        return { k: 'struct', fields, at: token };
      }
      case '=':
      case '<>':
      case '!=':
      case '<':
      case '<=':
      case '>':
      case '>=':
      case '||':
      case '*':
      case '/':
      case '%':
        throw m.malformed(m.unexpectedOperator);
      default:
        throw m.malformed(m.unexpectedTerm);
    }
  }

  private call(name: Token): Expr {
    this.i++; // (
    let args: Expr[] = [];
    if (this.isPunct(this.peek(), '*') && this.isPunct(this.peek(1), ')')) {
      this.i++; // COUNT(*)
    } else if (!this.isPunct(this.peek(), ')')) {
      args = this.argumentList();
    }
    this.expectPunct(')', 'RIGHT_PAREN');
    return { k: 'call', name: name.text.toLowerCase(), args, at: name };
  }

  private argumentList(): Expr[] {
    const items = [this.expression(0)];
    while (this.isPunct(this.peek(), ',')) {
      this.i++;
      items.push(this.expression(0));
    }
    return items;
  }

  private typeName(): string {
    const token = this.peek();
    const type = token.kind === 'ident' ? typeNames.get(token.lower) : undefined;
    if (type === undefined) {
      if (this.isWord(token, 'double') && this.isWord(this.peek(1), 'precision')) {
        this.i += 2;
        return 'DOUBLE_PRECISION';
      }
      throw m.malformed(m.expectedTypeName);
    }
    this.i++;
    if (type === 'CHARACTER' && this.isWord(this.peek(), 'varying')) {
      this.i++;
      return 'CHARACTER_VARYING';
    }
    if (this.isPunct(this.peek(), '(')) {
      // Type parameters, as in VARCHAR(10): read and ignored.
      this.i++;
      if (!this.isPunct(this.peek(), ')')) this.argumentList();
      this.expectPunct(')', 'RIGHT_PAREN');
    }
    return type;
  }
}

/** Words that end a table reference rather than alias it. */
const contextualWords: ReadonlySet<string> = new Set(['modified', 'new', 'old']);

function literal(v: Literal, at: Token): Expr {
  return { k: 'lit', v, at };
}

/** A statement that is a bare expression: EXISTS(SELECT ...) and NOT EXISTS(SELECT ...) are the ones DynamoDB runs. */
function expressionStatement(expr: Expr): Statement {
  const negated = expr.k === 'not';
  const inner = negated ? expr.operand : expr;
  if (inner.k === 'call' && inner.name === 'exists' && inner.args.length === 1 && inner.args[0]!.k === 'select') {
    return { kind: 'exists', negated, select: inner.args[0].select };
  }
  throw m.statementError(m.unsupportedOperation(astNodeName(expr)));
}

/** The name PartiQL's AST gives a node, as DynamoDB's "Unsupported operation" message shows it. */
export function astNodeName(expr: Expr): string {
  switch (expr.k) {
    case 'binary':
      return binaryNodeNames[expr.op];
    case 'not':
      return 'Not';
    case 'negate':
      return 'Neg';
    case 'between':
      return 'Between';
    case 'in':
      return 'InCollection';
    case 'like':
      return 'Like';
    case 'is':
      return 'IsType';
    case 'call':
      return 'Call';
    case 'id':
      return 'Id';
    case 'path':
      return 'Path';
    case 'lit':
      return expr.v.t === 'missing' ? 'Missing' : 'Lit';
    case 'param':
      return 'Parameter';
    case 'list':
      return 'List';
    case 'bag':
      return 'Bag';
    case 'struct':
      return 'Struct';
    case 'select':
      return 'Select';
  }
}

const binaryNodeNames: Record<BinaryOp, string> = {
  '=': 'Eq',
  '<>': 'Ne',
  '<': 'Lt',
  '<=': 'Lte',
  '>': 'Gt',
  '>=': 'Gte',
  and: 'And',
  or: 'Or',
  '+': 'Plus',
  '-': 'Minus',
  '*': 'Times',
  '/': 'Divide',
  '%': 'Modulo',
  '||': 'Concat',
};
