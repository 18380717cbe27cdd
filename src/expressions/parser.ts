// Recursive-descent parser for DynamoDB's condition, update and projection grammars, plus the
// checks that depend only on the expression text (reserved words, unknown functions, redundant
// parentheses, repeated update sections). Checks that need the request's names and values run
// later, in compile.ts. A syntax error reports the furthest token the parser could not accept,
// as a PEG parser (and DynamoDB) does.

import type {
  ConditionNode,
  DocumentPath,
  FunctionNode,
  OperandNode,
  ParsedCondition,
  ParsedProjection,
  ParsedUpdate,
  PathNode,
  PathPart,
  UpdateAction,
  UpdateSection,
  Comparator,
} from './ast.ts';
import { isReservedWord } from './reserved-words.ts';
import { syntaxErrorMessage, tokenize, TokenKind, type Token } from './tokenizer.ts';
import { expressionOperatorsMax, nestingDepthMax } from '../limits.ts';

/** Thrown by parse functions with the message DynamoDB gives after "Invalid <Kind>: ". */
export class ExpressionSyntaxError extends Error {}

/** Condition functions and their operand counts. */
export const conditionFunctionArity: ReadonlyMap<string, number> = new Map([
  ['attribute_exists', 1],
  ['attribute_not_exists', 1],
  ['attribute_type', 2],
  ['begins_with', 2],
  ['contains', 2],
  ['size', 1],
]);

/** Update (SET value) functions and their operand counts. */
export const updateFunctionArity: ReadonlyMap<string, number> = new Map([
  ['if_not_exists', 2],
  ['list_append', 2],
]);

// A single sentinel object unwinds a failed alternative; the error itself is built once, at
// the end, from the furthest failure position.
const backtrack = { backtrack: true };

/**
 * Deepest parenthesis nesting parsed (groups and function calls). Each level costs the recursive
 * descent about five stack frames, and 2,000 levels fit in a 4 KB expression: without a bound
 * they overflow the stack. DynamoDB accepts at most 300 operators and no redundant parentheses,
 * so none of its conditions nests deeper than 300; a deeper one is answered, without parsing it,
 * with the error DynamoDB finds in it where the tokens alone show it (see deepNestingMessage).
 */
export const expressionNestingDepthMax = 512;

const tooManyOperatorsMessage = (count: number): string => `The expression contains too many operators; operator count: ${count}`;
const redundantParenthesesMessage = 'The expression has redundant parentheses;';

type ConditionGrammarKeyword = 'AND' | 'OR' | 'NOT' | 'BETWEEN' | 'IN';
const conditionKeywords: ReadonlySet<string> = new Set<ConditionGrammarKeyword>(['AND', 'OR', 'NOT', 'BETWEEN', 'IN']);
const updateKeywords: ReadonlySet<string> = new Set<UpdateSection>(['SET', 'REMOVE', 'ADD', 'DELETE']);
const noKeywords: ReadonlySet<string> = new Set();

class Parser {
  private pos = 0;
  private furthest = 0;
  /** Levels of the deepest document path parsed: a path deeper than DynamoDB's 32 is refused once the parse succeeds. */
  private deepestPath = 0;

  constructor(
    private readonly text: string,
    private readonly tokens: Token[],
    /** Words the grammar uses, which therefore cannot be attribute names. */
    private readonly keywords: ReadonlySet<string>,
  ) {}

  // ---- token helpers ----

  private peek(): Token {
    return this.tokens[this.pos]!;
  }

  private fail(): never {
    if (this.pos > this.furthest) this.furthest = this.pos;
    throw backtrack;
  }

  private expect(kind: TokenKind): Token {
    const token = this.tokens[this.pos]!;
    if (token.kind !== kind) this.fail();
    this.pos++;
    return token;
  }

  private isKeyword(token: Token, word: string): boolean {
    return token.kind === TokenKind.Name && token.text.length === word.length && token.text.toUpperCase() === word;
  }

  private isGrammarKeyword(token: Token): boolean {
    return token.kind === TokenKind.Name && this.keywords.has(token.text.toUpperCase());
  }

  /** Runs a parse; turns an unwound failure into DynamoDB's syntax error. */
  run<T>(parse: () => T): T {
    this.checkNesting();
    let result: T;
    try {
      result = parse();
      if (this.peek().kind !== TokenKind.Eof) this.fail();
    } catch (e) {
      if (e !== backtrack) throw e;
      throw new ExpressionSyntaxError(syntaxErrorMessage(this.text, this.tokens, this.furthest));
    }
    if (this.deepestPath > nestingDepthMax) {
      throw new ExpressionSyntaxError(`The document path has too many nesting levels; nesting levels: ${this.deepestPath}`);
    }
    return result;
  }

  /**
   * Before parsing, in one pass over the tokens: refuses a condition with more operators than
   * DynamoDB allows, and nesting deeper than the parser's stack can take. Both bound the
   * recursion of everything that later walks the tree (NOT chains, groups, function calls).
   */
  private checkNesting(): void {
    const condition = this.keywords === conditionKeywords;
    let depth = 0;
    let deepest = 0;
    let operators = 0;
    /** BETWEENs whose AND has not come yet: that AND is part of the BETWEEN, not an operator. */
    let betweens = 0;
    for (const token of this.tokens) {
      switch (token.kind) {
        case TokenKind.LParen:
          if (++depth > deepest) deepest = depth;
          break;
        case TokenKind.RParen:
          depth--;
          break;
        case TokenKind.Eq: case TokenKind.Ne: case TokenKind.Lt: case TokenKind.Le: case TokenKind.Gt: case TokenKind.Ge:
          operators++;
          break;
        case TokenKind.Name:
          if (condition && token.text.length <= 7 && this.keywords.has(token.text.toUpperCase())) {
            const word = token.text.toUpperCase();
            if (word === 'BETWEEN') betweens++;
            if (word === 'AND' && betweens > 0) betweens--;
            else operators++;
          }
          break;
        default:
          break;
      }
    }
    if (condition && operators > expressionOperatorsMax) throw new ExpressionSyntaxError(tooManyOperatorsMessage(operators));
    if (deepest > expressionNestingDepthMax) throw new ExpressionSyntaxError(this.deepNestingMessage(deepest));
  }

  /**
   * What a condition nested too deeply to parse is refused with: DynamoDB's own error where the
   * tokens show it without a parse (a group wrapped in a second pair of parentheses, a call of a
   * function a condition does not have), else that it is nested too deeply. Iterative throughout.
   */
  private deepNestingMessage(deepest: number): string {
    if (this.keywords === conditionKeywords) {
      const tokens = this.tokens;
      // Where each '(' closes, found with a stack of open positions.
      const closeOf = new Int32Array(tokens.length).fill(-1);
      const open: number[] = [];
      for (let i = 0; i < tokens.length; i++) {
        const kind = tokens[i]!.kind;
        if (kind === TokenKind.LParen) open.push(i);
        else if (kind === TokenKind.RParen && open.length > 0) closeOf[open.pop()!] = i;
      }
      for (let i = 0; i + 1 < tokens.length; i++) {
        const close = closeOf[i]!;
        if (close < 0 || tokens[i + 1]!.kind !== TokenKind.LParen || closeOf[i + 1] !== close - 1) continue;
        // "((x))": two pairs around the same thing, unless the outer one is a call's or an IN list's.
        const before = i > 0 ? tokens[i - 1]! : null;
        if (before === null || before.kind !== TokenKind.Name || this.isKeyword(before, 'AND') || this.isKeyword(before, 'OR') || this.isKeyword(before, 'NOT')) {
          return redundantParenthesesMessage;
        }
      }
      for (let i = 0; i + 1 < tokens.length; i++) {
        const token = tokens[i]!;
        if (token.kind !== TokenKind.Name || tokens[i + 1]!.kind !== TokenKind.LParen || this.isGrammarKeyword(token)) continue;
        if (updateFunctionArity.has(token.text)) return `The function is not allowed in a condition expression; function: ${token.text}`;
        if (!conditionFunctionArity.has(token.text)) return `Invalid function name; function: ${token.text}`;
      }
    }
    return `The expression is nested too deeply; nesting depth: ${deepest}, at most ${expressionNestingDepthMax}`;
  }

  // ---- shared: paths and operands ----

  parsePath(): PathNode {
    const parts: PathPart[] = [];
    let hasAlias = false;
    let token = this.peek();
    if (token.kind === TokenKind.Name && !this.isGrammarKeyword(token)) {
      parts.push({ kind: 'name', text: token.text, index: -1 });
    } else if (token.kind === TokenKind.Alias) {
      parts.push({ kind: 'alias', text: token.text, index: -1 });
      hasAlias = true;
    } else {
      this.fail();
    }
    this.pos++;
    for (;;) {
      token = this.peek();
      if (token.kind === TokenKind.LBracket) {
        this.pos++;
        const digits = this.expect(TokenKind.Number);
        this.expect(TokenKind.RBracket);
        parts.push({ kind: 'index', text: '', index: Number(digits.text) });
      } else if (token.kind === TokenKind.Dot) {
        this.pos++;
        token = this.peek();
        if (token.kind === TokenKind.Name && !this.isGrammarKeyword(token)) {
          parts.push({ kind: 'name', text: token.text, index: -1 });
        } else if (token.kind === TokenKind.Alias) {
          parts.push({ kind: 'alias', text: token.text, index: -1 });
          hasAlias = true;
        } else {
          this.fail();
        }
        this.pos++;
      } else {
        break;
      }
    }
    if (parts.length > this.deepestPath) this.deepestPath = parts.length;
    let literal: DocumentPath | null = null;
    if (!hasAlias) {
      literal = new Array(parts.length);
      for (let i = 0; i < parts.length; i++) {
        const part = parts[i]!;
        literal[i] = part.kind === 'index' ? part.index : part.text;
      }
    }
    return { type: 'path', parts, literal, parens: 0 };
  }

  /** A path, a :value, a function call, or (for `parenthesized`) any of those in parentheses. */
  parseOperand(allowParens: boolean, parseArgument: () => OperandNode): OperandNode {
    const token = this.peek();
    switch (token.kind) {
      case TokenKind.LParen: {
        if (!allowParens) this.fail();
        this.pos++;
        const operand = this.parseOperand(allowParens, parseArgument);
        this.expect(TokenKind.RParen);
        operand.parens++;
        return operand;
      }
      case TokenKind.ValueRef:
        this.pos++;
        return { type: 'value', name: token.text, parens: 0 };
      case TokenKind.Name:
        if (this.tokens[this.pos + 1]!.kind === TokenKind.LParen && !this.isGrammarKeyword(token)) {
          return this.parseFunction(parseArgument);
        }
        return this.parsePath();
      case TokenKind.Alias:
        return this.parsePath();
      default:
        return this.fail();
    }
  }

  private parseFunction(parseArgument: () => OperandNode): FunctionNode {
    const name = this.peek().text;
    this.pos += 2; // name and '('
    const args: OperandNode[] = [parseArgument()];
    while (this.peek().kind === TokenKind.Comma) {
      this.pos++;
      args.push(parseArgument());
    }
    this.expect(TokenKind.RParen);
    return { type: 'function', name, args, parens: 0 };
  }

  // ---- conditions ----

  private readonly conditionOperand = (): OperandNode => this.parseOperand(true, this.conditionOperand);

  parseCondition(): ConditionNode {
    return this.parseOr();
  }

  private parseOr(): ConditionNode {
    let left = this.parseAnd();
    while (this.isKeyword(this.peek(), 'OR')) {
      this.pos++;
      const right = this.parseAnd();
      left = { type: 'or', left, right, parens: 0 };
    }
    return left;
  }

  private parseAnd(): ConditionNode {
    let left = this.parseNot();
    while (this.isKeyword(this.peek(), 'AND')) {
      this.pos++;
      const right = this.parseNot();
      left = { type: 'and', left, right, parens: 0 };
    }
    return left;
  }

  private parseNot(): ConditionNode {
    if (this.isKeyword(this.peek(), 'NOT')) {
      this.pos++;
      return { type: 'not', operand: this.parseNot(), parens: 0 };
    }
    return this.parsePrimary();
  }

  private startsComparison(token: Token): boolean {
    const kind = token.kind;
    return (
      kind === TokenKind.Eq || kind === TokenKind.Ne || kind === TokenKind.Lt || kind === TokenKind.Le ||
      kind === TokenKind.Gt || kind === TokenKind.Ge || this.isKeyword(token, 'BETWEEN') || this.isKeyword(token, 'IN')
    );
  }

  private parsePrimary(): ConditionNode {
    if (this.peek().kind === TokenKind.LParen) {
      // Either a parenthesized condition or a parenthesized operand of a comparison.
      const saved = this.pos;
      try {
        this.pos++;
        const inner = this.parseOr();
        this.expect(TokenKind.RParen);
        if (!this.startsComparison(this.peek())) {
          inner.parens++;
          return inner;
        }
      } catch (e) {
        if (e !== backtrack) throw e;
      }
      this.pos = saved;
    }
    const left = this.conditionOperand();
    const token = this.peek();
    let op: Comparator | null = null;
    switch (token.kind) {
      case TokenKind.Eq: op = '='; break;
      case TokenKind.Ne: op = '<>'; break;
      case TokenKind.Lt: op = '<'; break;
      case TokenKind.Le: op = '<='; break;
      case TokenKind.Gt: op = '>'; break;
      case TokenKind.Ge: op = '>='; break;
      default: break;
    }
    if (op !== null) {
      this.pos++;
      const right = this.conditionOperand();
      return { type: 'compare', op, left, right, parens: 0 };
    }
    if (this.isKeyword(token, 'BETWEEN')) {
      this.pos++;
      const low = this.conditionOperand();
      if (!this.isKeyword(this.peek(), 'AND')) this.fail();
      this.pos++;
      const high = this.conditionOperand();
      return { type: 'between', operand: left, low, high, parens: 0 };
    }
    if (this.isKeyword(token, 'IN')) {
      this.pos++;
      this.expect(TokenKind.LParen);
      const list: OperandNode[] = [this.conditionOperand()];
      while (this.peek().kind === TokenKind.Comma) {
        this.pos++;
        list.push(this.conditionOperand());
      }
      this.expect(TokenKind.RParen);
      return { type: 'in', operand: left, list, parens: 0 };
    }
    if (left.type === 'function') return left;
    return this.fail();
  }

  // ---- updates ----

  private readonly updateArgument = (): OperandNode => {
    // Function arguments: an operand, optionally in one pair of parentheses.
    if (this.peek().kind === TokenKind.LParen) {
      this.pos++;
      const operand = this.parseOperand(false, this.updateArgument);
      this.expect(TokenKind.RParen);
      operand.parens++;
      return operand;
    }
    return this.parseOperand(false, this.updateArgument);
  };

  private parseSetValueInner(): OperandNode {
    const left = this.updateArgument();
    const kind = this.peek().kind;
    if (kind === TokenKind.Plus || kind === TokenKind.Minus) {
      this.pos++;
      const right = this.updateArgument();
      return { type: 'arithmetic', op: kind === TokenKind.Plus ? '+' : '-', left, right, parens: 0 };
    }
    return left;
  }

  private parseSetValue(): OperandNode {
    if (this.peek().kind === TokenKind.LParen) {
      // `(a + b)` as a whole, or `(a) + b` with a parenthesized first operand.
      const saved = this.pos;
      try {
        this.pos++;
        const inner = this.parseSetValueInner();
        this.expect(TokenKind.RParen);
        const kind = this.peek().kind;
        if (kind !== TokenKind.Plus && kind !== TokenKind.Minus) {
          inner.parens++;
          return inner;
        }
      } catch (e) {
        if (e !== backtrack) throw e;
      }
      this.pos = saved;
    }
    return this.parseSetValueInner();
  }

  parseUpdate(sectionErrors: string[]): UpdateAction[] {
    const actions: UpdateAction[] = [];
    const seen = new Set<UpdateSection>();
    do {
      const token = this.peek();
      const word = token.kind === TokenKind.Name ? token.text.toUpperCase() : '';
      if (!updateKeywords.has(word)) this.fail();
      const section = word as UpdateSection;
      this.pos++;
      if (seen.has(section)) {
        sectionErrors.push(`The "${section}" section can only be used once in an update expression;`);
      }
      seen.add(section);
      for (;;) {
        const path = this.parsePath();
        let value: OperandNode | null = null;
        if (section === 'SET') {
          this.expect(TokenKind.Eq);
          value = this.parseSetValue();
        } else if (section === 'ADD' || section === 'DELETE') {
          const ref = this.expect(TokenKind.ValueRef);
          value = { type: 'value', name: ref.text, parens: 0 };
        }
        actions.push({ section, path, value });
        if (this.peek().kind !== TokenKind.Comma) break;
        this.pos++;
      }
    } while (this.peek().kind !== TokenKind.Eof);
    return actions;
  }

  // ---- projections ----

  parseProjection(): PathNode[] {
    const paths: PathNode[] = [this.parsePath()];
    while (this.peek().kind === TokenKind.Comma) {
      this.pos++;
      paths.push(this.parsePath());
    }
    return paths;
  }
}

// ---- static checks (independent of names and values) ----

/** The first reserved word used as a literal path name in `path`, or null. */
function reservedIn(path: PathNode): string | null {
  for (const part of path.parts) {
    if (part.kind === 'name' && isReservedWord(part.text)) return part.text;
  }
  return null;
}

interface ConditionStaticErrors {
  parens: string | null;
  unknownFunction: string | null;
  misusedFunction: string | null;
  reserved: string | null;
}

const misusedMessage = (name: string): string =>
  `The function is not allowed to be used this way in an expression; function: ${name}`;

function checkConditionOperand(node: OperandNode, errors: ConditionStaticErrors): void {
  if (node.parens >= 2 && errors.parens === null) errors.parens = 'The expression has redundant parentheses;';
  if (node.type === 'path') {
    if (errors.reserved === null) {
      const word = reservedIn(node);
      if (word !== null) errors.reserved = `Attribute name is a reserved keyword; reserved keyword: ${word}`;
    }
  } else if (node.type === 'function') {
    checkConditionFunction(node, errors);
    if (node.name !== 'size' && errors.misusedFunction === null && conditionFunctionArity.has(node.name)) {
      errors.misusedFunction = misusedMessage(node.name);
    }
  }
}

function checkConditionFunction(node: FunctionNode, errors: ConditionStaticErrors): void {
  if (errors.unknownFunction === null) {
    if (updateFunctionArity.has(node.name)) {
      errors.unknownFunction = `The function is not allowed in a condition expression; function: ${node.name}`;
    } else if (!conditionFunctionArity.has(node.name)) {
      errors.unknownFunction = `Invalid function name; function: ${node.name}`;
    }
  }
  for (const arg of node.args) checkConditionOperand(arg, errors);
}

function checkConditionNode(node: ConditionNode, errors: ConditionStaticErrors): void {
  if (node.parens >= 2 && errors.parens === null) errors.parens = 'The expression has redundant parentheses;';
  switch (node.type) {
    case 'and':
    case 'or':
      checkConditionNode(node.left, errors);
      checkConditionNode(node.right, errors);
      return;
    case 'not':
      checkConditionNode(node.operand, errors);
      return;
    case 'compare':
      checkConditionOperand(node.left, errors);
      checkConditionOperand(node.right, errors);
      return;
    case 'between':
      checkConditionOperand(node.operand, errors);
      checkConditionOperand(node.low, errors);
      checkConditionOperand(node.high, errors);
      return;
    case 'in':
      checkConditionOperand(node.operand, errors);
      for (const item of node.list) checkConditionOperand(item, errors);
      return;
    case 'function':
      checkConditionFunction(node, errors);
      if (node.name === 'size' && errors.misusedFunction === null) errors.misusedFunction = misusedMessage('size');
      return;
  }
}

function checkUpdateOperand(node: OperandNode, parent: FunctionNode | null, errors: { reserved: string | null; function: string | null; misused: string | null }): void {
  switch (node.type) {
    case 'path':
      if (errors.reserved === null) {
        const word = reservedIn(node);
        if (word !== null) errors.reserved = `Attribute name is a reserved keyword; reserved keyword: ${word}`;
      }
      return;
    case 'value':
      return;
    case 'arithmetic':
      checkUpdateOperand(node.left, null, errors);
      checkUpdateOperand(node.right, null, errors);
      return;
    case 'function':
      if (errors.function === null) {
        if (conditionFunctionArity.has(node.name)) {
          errors.function = `The function is not allowed in an update expression; function: ${node.name}`;
        } else if (!updateFunctionArity.has(node.name)) {
          errors.function = `Invalid function name; function: ${node.name}`;
        }
      }
      if (errors.misused === null && parent !== null && parent.name === 'list_append' && node.name === 'list_append') {
        errors.misused = misusedMessage(node.name);
      }
      for (const arg of node.args) checkUpdateOperand(arg, node, errors);
      return;
  }
}

// ---- placeholders used ----

class Placeholders {
  readonly aliases = new Set<string>();
  readonly valueRefs = new Set<string>();

  operand(node: OperandNode): void {
    switch (node.type) {
      case 'path':
        for (const part of node.parts) if (part.kind === 'alias') this.aliases.add(part.text);
        return;
      case 'value':
        this.valueRefs.add(node.name);
        return;
      case 'function':
        for (const arg of node.args) this.operand(arg);
        return;
      case 'arithmetic':
        this.operand(node.left);
        this.operand(node.right);
        return;
    }
  }

  condition(node: ConditionNode): void {
    switch (node.type) {
      case 'and':
      case 'or':
        this.condition(node.left);
        this.condition(node.right);
        return;
      case 'not':
        this.condition(node.operand);
        return;
      case 'compare':
        this.operand(node.left);
        this.operand(node.right);
        return;
      case 'between':
        this.operand(node.operand);
        this.operand(node.low);
        this.operand(node.high);
        return;
      case 'in':
        this.operand(node.operand);
        for (const item of node.list) this.operand(item);
        return;
      case 'function':
        this.operand(node);
        return;
    }
  }
}

// ---- entry points ----

function parserFor(text: string, keywords: ReadonlySet<string>): Parser {
  return new Parser(text, tokenize(text), keywords);
}

/** Parses a ConditionExpression, FilterExpression or KeyConditionExpression. */
export function parseConditionExpression(text: string): ParsedCondition {
  const parser = parserFor(text, conditionKeywords);
  const root = parser.run(() => parser.parseCondition());
  const errors: ConditionStaticErrors = { parens: null, unknownFunction: null, misusedFunction: null, reserved: null };
  checkConditionNode(root, errors);
  const staticError = errors.parens ?? errors.unknownFunction ?? errors.misusedFunction ?? errors.reserved;
  const used = new Placeholders();
  used.condition(root);
  return { grammar: 'condition', root, staticError, aliases: used.aliases, valueRefs: used.valueRefs };
}

/** Parses an UpdateExpression. */
export function parseUpdateExpression(text: string): ParsedUpdate {
  const parser = parserFor(text, updateKeywords);
  const sectionErrors: string[] = [];
  const actions = parser.run(() => parser.parseUpdate(sectionErrors));
  const errors = { reserved: null as string | null, function: null as string | null, misused: null as string | null };
  for (const action of actions) {
    checkUpdateOperand(action.path, null, errors);
    if (action.value !== null) checkUpdateOperand(action.value, null, errors);
  }
  const staticError = errors.reserved ?? errors.function ?? sectionErrors[0] ?? errors.misused;
  const used = new Placeholders();
  for (const action of actions) {
    used.operand(action.path);
    if (action.value !== null) used.operand(action.value);
  }
  return { grammar: 'update', actions, staticError, aliases: used.aliases, valueRefs: used.valueRefs };
}

/** Parses a ProjectionExpression. */
export function parseProjectionExpression(text: string): ParsedProjection {
  const parser = parserFor(text, noKeywords);
  const paths = parser.run(() => parser.parseProjection());
  let staticError: string | null = null;
  for (const path of paths) {
    const word = reservedIn(path);
    if (word !== null) {
      staticError = `Attribute name is a reserved keyword; reserved keyword: ${word}`;
      break;
    }
  }
  const used = new Placeholders();
  for (const path of paths) used.operand(path);
  return { grammar: 'projection', paths, staticError, aliases: used.aliases, valueRefs: used.valueRefs };
}
