// The PartiQL parser, table-driven: statements and the tree they read as (written as compact
// s-expressions), and malformed or refused statements and DynamoDB's exact message for each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStatement } from '../../src/partiql/parser.ts';
import { tokenize } from '../../src/partiql/tokenizer.ts';
import type { Expr, SelectStatement, Statement } from '../../src/partiql/ast.ts';
import { DynamoError } from '../../src/protocol/errors.ts';

function expr(e: Expr): string {
  switch (e.k) {
    case 'id':
      return e.quoted ? `"${e.name}"` : e.name;
    case 'path':
      return expr(e.root) + e.steps.map((s) => (s.k === 'name' ? `.${s.name}` : s.k === 'index' ? `[${expr(s.expr)}]` : '[*]')).join('');
    case 'lit':
      switch (e.v.t) {
        case 'string':
          return `'${e.v.s}'`;
        case 'number':
          return e.v.text;
        case 'bool':
          return e.v.b ? 'TRUE' : 'FALSE';
        case 'null':
          return 'NULL';
        case 'missing':
          return 'MISSING';
      }
      break;
    case 'param':
      return `?${e.index}`;
    case 'list':
      return `[${e.items.map(expr).join(', ')}]`;
    case 'bag':
      return `<<${e.items.map(expr).join(', ')}>>`;
    case 'struct':
      return `{${e.fields.map((f) => `${expr(f.key)}: ${expr(f.value)}`).join(', ')}}`;
    case 'call':
      return `${e.name}(${e.args.map(expr).join(', ')})`;
    case 'not':
      return `(NOT ${expr(e.operand)})`;
    case 'negate':
      return `(- ${expr(e.operand)})`;
    case 'binary':
      return `(${e.op.toUpperCase()} ${expr(e.left)} ${expr(e.right)})`;
    case 'between':
      return `(${e.negated ? 'NOT ' : ''}BETWEEN ${expr(e.operand)} ${expr(e.low)} ${expr(e.high)})`;
    case 'in':
      return `(${e.negated ? 'NOT ' : ''}IN ${expr(e.operand)} ${expr(e.list)})`;
    case 'like':
      return `(${e.negated ? 'NOT ' : ''}LIKE ${expr(e.operand)} ${expr(e.pattern)})`;
    case 'is':
      return `(IS${e.negated ? ' NOT' : ''} ${expr(e.operand)} ${e.type})`;
    case 'select':
      return `(${select(e.select)})`;
  }
  return '?';
}

function select(s: SelectStatement): string {
  let out = `SELECT ${s.projection === null ? '*' : s.projection.map(expr).join(', ')} FROM ${s.source.table}${s.source.index === undefined ? '' : `.${s.source.index}`}`;
  if (s.where !== null) out += ` WHERE ${expr(s.where)}`;
  if (s.orderBy.length > 0) out += ` ORDER BY ${s.orderBy.map((o) => `${expr(o.expr)}${o.descending ? ' DESC' : ''}`).join(', ')}`;
  return out;
}

function statement(s: Statement): string {
  switch (s.kind) {
    case 'select':
      return select(s);
    case 'insert':
      return `INSERT ${s.source.table} VALUE ${expr(s.value)}`;
    case 'update': {
      const actions = s.actions.map((a) => (a.k === 'set' ? `SET ${expr(a.target)} = ${expr(a.value)}` : `REMOVE ${expr(a.target)}`)).join('; ');
      return `UPDATE ${s.source.table} ${actions}${s.where === null ? '' : ` WHERE ${expr(s.where)}`}${s.returning === null ? '' : ` RETURNING ${s.returning}`}`;
    }
    case 'delete':
      return `DELETE ${s.source.table}${s.where === null ? '' : ` WHERE ${expr(s.where)}`}${s.returning === null ? '' : ` RETURNING ${s.returning}`}`;
    case 'exists':
      return `${s.negated ? 'NOT ' : ''}EXISTS (${select(s.select)})`;
  }
}

const parsesAs: [string, string, number?][] = [
  // SELECT
  [`SELECT * FROM "Music"`, 'SELECT * FROM Music'],
  [`select * from Music where Artist = 'Acme'`, `SELECT * FROM Music WHERE (= Artist 'Acme')`],
  [`SELECT a, "b", c.d, e[0], f['g'].h FROM "T"`, `SELECT a, "b", c.d, e[0], f['g'].h FROM T`],
  [`SELECT * FROM "T"."idx" WHERE "gsi-pk" = ?`, `SELECT * FROM T.idx WHERE (= "gsi-pk" ?0)`, 1],
  [`SELECT * FROM "T" WHERE pk = ? AND sk > ? AND n <> ?`, `SELECT * FROM T WHERE (AND (AND (= pk ?0) (> sk ?1)) (<> n ?2))`, 3],
  [`SELECT * FROM T WHERE a = 1 OR b = 2 AND c = 3`, 'SELECT * FROM T WHERE (OR (= a 1) (AND (= b 2) (= c 3)))'],
  [`SELECT * FROM T WHERE (a = 1 OR b = 2) AND c != 3`, 'SELECT * FROM T WHERE (AND (OR (= a 1) (= b 2)) (<> c 3))'],
  [`SELECT * FROM T WHERE NOT a = 1 AND b <= 2`, 'SELECT * FROM T WHERE (AND (NOT (= a 1)) (<= b 2))'],
  [`SELECT * FROM T WHERE a BETWEEN 1 AND 5 AND b NOT BETWEEN 'a' AND 'b'`, `SELECT * FROM T WHERE (AND (BETWEEN a 1 5) (NOT BETWEEN b 'a' 'b'))`],
  [`SELECT * FROM T WHERE pk IN ['a', 'b'] AND x NOT IN (1, 2)`, `SELECT * FROM T WHERE (AND (IN pk ['a', 'b']) (NOT IN x [1, 2]))`],
  [`SELECT * FROM T WHERE a IS MISSING AND b IS NOT NULL AND c IS BOOL`, 'SELECT * FROM T WHERE (AND (AND (IS a MISSING) (IS NOT b NULL)) (IS c BOOLEAN))'],
  [`SELECT * FROM T WHERE a IS DOUBLE PRECISION OR b IS CHARACTER VARYING`, 'SELECT * FROM T WHERE (OR (IS a DOUBLE_PRECISION) (IS b CHARACTER_VARYING))'],
  [`SELECT * FROM T WHERE begins_with(sk, 'x') AND SIZE(l) > 2 AND attribute_exists("m".n)`, `SELECT * FROM T WHERE (AND (AND begins_with(sk, 'x') (> size(l) 2)) attribute_exists("m".n))`],
  [`SELECT * FROM T WHERE a LIKE 'x%'`, `SELECT * FROM T WHERE (LIKE a 'x%')`],
  [`SELECT * FROM T WHERE a = -1.5e3 AND b = +.5 AND c = - -2`, 'SELECT * FROM T WHERE (AND (AND (= a -1.5e3) (= b .5)) (= c 2))'],
  [`SELECT * FROM T WHERE a = -b`, 'SELECT * FROM T WHERE (= a (- b))'],
  [`SELECT * FROM T WHERE a + 1 * 2 > b || 'x'`, `SELECT * FROM T WHERE (> (+ a (* 1 2)) (|| b 'x'))`],
  [`SELECT * FROM T WHERE a = TRUE AND b = false AND c = null AND d = Missing`, 'SELECT * FROM T WHERE (AND (AND (AND (= a TRUE) (= b FALSE)) (= c NULL)) (= d MISSING))'],
  [`SELECT * FROM T WHERE s = <<'a', 'b'>> AND l = [1, [2]] AND m = {'k': 'v', 'n': {}}`, `SELECT * FROM T WHERE (AND (AND (= s <<'a', 'b'>>) (= l [1, [2]])) (= m {'k': 'v', 'n': {}}))`],
  [`SELECT * FROM T WHERE s = 'it''s' AND "we""ird" = 1`, `SELECT * FROM T WHERE (AND (= s 'it's') (= "we"ird" 1))`],
  [`SELECT * FROM T WHERE pk = 'a' ORDER BY sk DESC`, `SELECT * FROM T WHERE (= pk 'a') ORDER BY sk DESC`],
  [`SELECT * FROM T WHERE pk = 'a' ORDER BY pk ASC, sk`, `SELECT * FROM T WHERE (= pk 'a') ORDER BY pk, sk`],
  [`-- a note\nSELECT * FROM T /* between */ WHERE pk = 'a' -- trailing`, `SELECT * FROM T WHERE (= pk 'a')`],
  [`SELECT * FROM T WHERE pk = 'a';`, `SELECT * FROM T WHERE (= pk 'a')`],
  [`SELECT * FROM T WHERE ${'('.repeat(100)}a = [[[1]]]${')'.repeat(100)}`, 'SELECT * FROM T WHERE (= a [[[1]]])'],
  // INSERT
  [`INSERT INTO "Music" VALUE {'Artist': 'Acme', 'Awards': 1, 'Tags': <<'a'>>}`, `INSERT Music VALUE {'Artist': 'Acme', 'Awards': 1, 'Tags': <<'a'>>}`],
  [`insert into Music value {'a': ?, 'b': ?}`, `INSERT Music VALUE {'a': ?0, 'b': ?1}`, 2],
  // UPDATE
  [`UPDATE "T" SET a = 1 WHERE pk = 'x'`, `UPDATE T SET a = 1 WHERE (= pk 'x')`],
  [`UPDATE T SET a = a + 1, b = list_append(b, [1]) SET c.d[2] = 'x' REMOVE e REMOVE f.g WHERE pk = 'x' RETURNING MODIFIED NEW *`, `UPDATE T SET a = (+ a 1); SET b = list_append(b, [1]); SET c.d[2] = 'x'; REMOVE e; REMOVE f.g WHERE (= pk 'x') RETURNING MODIFIED_NEW`],
  [`UPDATE T SET s = set_add(s, <<'x'>>) WHERE pk = ? RETURNING ALL OLD *`, `UPDATE T SET s = set_add(s, <<'x'>>) WHERE (= pk ?0) RETURNING ALL_OLD`, 1],
  [`FROM "T" WHERE pk = 'x' SET c = 1 REMOVE d`, `UPDATE T SET c = 1; REMOVE d WHERE (= pk 'x')`],
  // DELETE
  [`DELETE FROM "T" WHERE pk = 'x' AND sk = 1`, `DELETE T WHERE (AND (= pk 'x') (= sk 1))`],
  [`DELETE FROM T WHERE pk = 'x' RETURNING ALL OLD *`, `DELETE T WHERE (= pk 'x') RETURNING ALL_OLD`],
  [`DELETE FROM T`, 'DELETE T'],
  // EXISTS
  [`EXISTS(SELECT * FROM "T" WHERE pk = 'x' AND a IS MISSING)`, `EXISTS (SELECT * FROM T WHERE (AND (= pk 'x') (IS a MISSING)))`],
  [`NOT EXISTS(SELECT * FROM "T" WHERE pk = ?)`, 'NOT EXISTS (SELECT * FROM T WHERE (= pk ?0))', 1],
];

test('statements parse into the tree they mean', () => {
  for (const [text, expected, parameters = 0] of parsesAs) {
    const parsed = parseStatement(text);
    assert.equal(statement(parsed.statement), expected, text);
    assert.equal(parsed.parameterCount, parameters, text);
  }
});

const malformed = "Statement wasn't well formed, can't be processed: ";

const refused: [string, string][] = [
  // The statement cannot be read: the parser's detail after DynamoDB's envelope.
  [`SELECT * FROM "T" WHERE pk = 1 foo`, `${malformed}Unexpected token after expression`],
  [`SELECT * FROM "T" WHERE pk = 1 e5`, `${malformed}Unexpected token after expression`],
  [`SELECT * FROM "T" WHERE pk = 1)`, `${malformed}Unexpected token after expression`],
  [`INSERT INTO "T" VALUE {'pk': 1} foo`, `${malformed}Unexpected token after expression`],
  [`INSERT INTO "T" t VALUE {'pk': 'x'}`, `${malformed}Unexpected token after expression`],
  [`UPDATE "T" SET a = 9 WHERE pk = 2 foo`, `${malformed}Unexpected token after expression`],
  [`DELETE FROM "T" WHERE pk = 3 ORDER BY pk`, `${malformed}Unexpected token after expression`],
  [`SELECT * FROM "T" ORDER BY pk WHERE pk = 1`, `${malformed}Unexpected token after expression`],
  [`FROM "T" SET c = 1 WHERE pk = 'x'`, `${malformed}Unexpected token after expression`],
  [`SELECT * FROM "T" WHERE`, `${malformed}Unexpected term`],
  [`SELECT * FROM "T" WHERE;`, `${malformed}Unexpected term`],
  [`SELECT * FROM "T" WHERE   `, `${malformed}Unexpected term`],
  [`UPDATE "T" SET a = 1 WHERE`, `${malformed}Unexpected term`],
  [`DELETE FROM "T" WHERE`, `${malformed}Unexpected term`],
  [`SELECT * FROM "T" WHERE NOT`, `${malformed}Unexpected term`],
  [`SELECT * FROM "T" WHERE (`, `${malformed}Unexpected term`],
  [`SELECT * FROM`, `${malformed}Unexpected term`],
  [`SELECT * FROM "T" WHERE pk = 'p1' AND`, `${malformed}Missing right-hand side expression of infix operator`],
  [`SELECT * FROM "T" WHERE pk = 'p1' OR`, `${malformed}Missing right-hand side expression of infix operator`],
  [`SELECT * FROM "T" WHERE pk =`, `${malformed}Missing right-hand side expression of infix operator`],
  [`SELECT * FROM "T" WHERE ORDER BY pk`, `${malformed}Unexpected keyword`],
  [`SELECT * FROM "T" WHERE value = 1`, `${malformed}Unexpected keyword`],
  [`SELECT * FROM "T" WHERE IS NULL`, `${malformed}Unexpected operator`],
  [`SELECT * FROM "T" WHERE pk = LIKE`, `${malformed}Unexpected operator`],
  [`SELECT * FROM "T" WHERE pk = 'a' AND x IS FOO`, `${malformed}Expected type name`],
  [`DELETE FROM`, `${malformed}Expected identifier for simple path`],
  [`DELETE FROM   `, `${malformed}Expected identifier for simple path`],
  [`DELETE FROM;`, `${malformed}Expected identifier for simple path`],
  [`DELETE FROM WHERE pk = 'a'`, `${malformed}Expected identifier for simple path`],
  [`DELETE "T" WHERE pk = 'a'`, `${malformed}Expected FROM after DELETE`],
  [`UPDATE "T" WHERE pk = 'a'`, `${malformed}Expected data manipulation`],
  [`SELECT * FROM "T" WHERE pk = 'a' AND m.inner = 1`, `${malformed}Invalid path dot component`],
  [`SELECT * FROM "T" WHERE a BETWEEN 1 AND`, `${malformed}Expected expression after AND`],
  [`SELECT * FROM "T" WHERE a = ()`, `${malformed}Expression group cannot be empty`],
  [`SELECT FROM "T"`, `${malformed}Cannot have empty SELECT list`],
  [`SELECT * "T"`, `${malformed}Expected FROM after SELECT list`],
  // What the lexer cannot read: nothing after the colon.
  [`SELECT * FROM "T" WHERE pk = 1e2147483648`, malformed],
  [`SELECT * FROM "T" WHERE pk = 1e99999999999`, malformed],
  [`SELECT * FROM "T" WHERE pk = 1.5e-2147483647`, malformed],
  [`SELECT * FROM "T" WHERE pk = 1 # note`, malformed],
  [`SELECT * FROM "T" WHERE pk = 1 /* note`, malformed],
  [`SELECT * FROM "T" WHERE pk = 'open`, malformed],
  // Nested deeper than the parser goes.
  [`SELECT * FROM "T" WHERE ${'('.repeat(300)}a = 1${')'.repeat(300)}`, malformed],
  [`SELECT * FROM "T" WHERE a = ${'['.repeat(300)}${']'.repeat(300)}`, malformed],
  // Statements that read but are refused, once read.
  [`SELECT * FROM "T" t WHERE pk = 'x'`, 'Aliasing is not supported'],
  [`SELECT * FROM "T" AS t WHERE pk = 'x'`, 'Aliasing is not supported'],
  [`UPDATE "T" t SET a = 3 WHERE pk = 'x'`, 'Aliasing is not supported'],
  [`DELETE FROM "T" t WHERE pk = 'x'`, 'Aliasing is not supported'],
  [`SELECT * FROM "T" t WHERE`, `${malformed}Unexpected term`],
  [`SELECT *, a FROM "T"`, "Other attributes should not be present in the projection when '*' is used."],
  [`SELECT VALUE a FROM "T"`, "Select projection doesn't support value or pivot keywords"],
  [`SELECT * FROM "T", "U"`, 'Only select from a single table or index is supported.'],
  [`SELECT * FROM "T"."i"."j"`, 'A path may contain at most 2 components in the FROM clause'],
  [`SELECT * FROM 5`, 'Unexpected from source'],
  [`INSERT INTO "T" VALUE {'pk': 1} AT 2`, 'AT is not supported in insert statements.'],
  [`INSERT INTO "T" <<{'pk': 1}>>`, 'Unsupported operation: Inserting multiple items in a single statement is not supported, use "INSERT INTO tableName VALUE item" instead'],
  [`INSERT INTO "T" VALUE {'pk': 1} RETURNING ALL OLD *`, 'RETURNING is not supported in INSERT'],
  [`UPDATE "T" SET a = 1 WHERE pk = 'x' RETURNING ALL NEW a`, "Expected '*' after ( MODIFIED | ALL ) ( NEW | OLD ) in RETURNING clause"],
  [`UPDATE "T" SET a = 1 WHERE pk = 'x' RETURNING ALL NEW *, MODIFIED OLD *`, 'Invalid syntax with multiple returning elements in RETURNING clause'],
  [`x IS INT4`, 'Unsupported operation: IsType'],
  [`x IS INT8`, 'Unsupported operation: IsType'],
  [`1 = 1`, 'Unsupported operation: Eq'],
  [`EXISTS(x)`, 'Unsupported operation: Call'],
];

test('malformed and refused statements fail with DynamoDB messages', () => {
  for (const [text, message] of refused) {
    assert.throws(
      () => parseStatement(text),
      (e: unknown) => {
        assert.ok(e instanceof DynamoError, text);
        assert.equal(e.kind.name, 'ValidationException', text);
        assert.equal(e.message, message, text);
        return true;
      },
    );
  }
});

test('tokens carry their line, column and length', () => {
  const tokens = tokenize(`SELECT *\n  FROM "Tab"\nWHERE a <= 'x'`);
  assert.deepEqual(
    tokens.map((t) => [t.kind, t.text, t.line, t.column, t.length]),
    [
      ['ident', 'SELECT', 1, 1, 6],
      ['punct', '*', 1, 8, 1],
      ['ident', 'FROM', 2, 3, 4],
      ['quoted', 'Tab', 2, 8, 5],
      ['ident', 'WHERE', 3, 1, 5],
      ['ident', 'a', 3, 7, 1],
      ['punct', '<=', 3, 9, 2],
      ['string', 'x', 3, 12, 3],
      ['eof', '', 3, 15, 0],
    ],
  );
});
