// DynamoDB's PartiQL error messages, named once. Sources: DynamoDB Local's shared PartiQL messages
// (ddb.partiql.shared.exceptions), the PartiQL parser DynamoDB runs (partiql-lang-kotlin's
// SqlParser) for the texts after "Statement wasn't well formed", and captures of real DynamoDB in
// public conformance suites. Texts no source confirmed are marked "unconfirmed".
import { validationError, type DynamoError } from '../protocol/errors.ts';

/** Where a token starts (1-based line and column) and how many characters it spans. */
export interface SourcePosition {
  readonly line: number;
  readonly column: number;
  readonly length: number;
}

/** "Statement wasn't well formed, can't be processed: <detail>" (the detail may be empty). */
export function malformed(detail: string): DynamoError {
  return validationError(`Statement wasn't well formed, can't be processed: ${detail}`);
}

/** A semantic error; some of DynamoDB's carry the position of the token they are about. */
export function statementError(message: string, at?: SourcePosition): DynamoError {
  return validationError(at === undefined ? message : `${message} at ${at.line}:${at.column}:${at.length}`);
}

// Parser details (after the "wasn't well formed" envelope).
export const unexpectedTokenAfterExpression = 'Unexpected token after expression';
export const unexpectedTerm = 'Unexpected term';
export const unexpectedKeyword = 'Unexpected keyword';
export const unexpectedOperator = 'Unexpected operator';
export const missingRightHandSide = 'Missing right-hand side expression of infix operator';
export const expectedTypeName = 'Expected type name';
export const expectedSimplePathIdentifier = 'Expected identifier for simple path';
export const invalidPathDotComponent = 'Invalid path dot component';
export const expectedDataManipulation = 'Expected data manipulation';
export const expectedExpressionAfterAnd = 'Expected expression after AND';
export const expectedFromAfterDelete = 'Expected FROM after DELETE';
export const emptyExpressionGroup = 'Expression group cannot be empty';
export const emptySelectList = 'Cannot have empty SELECT list';
export const expectedFromAfterSelectList = 'Expected FROM after SELECT list';
/** A token of a given kind was required: "Expected RIGHT_PAREN" (unconfirmed wording). */
export function expectedToken(tokenType: string): string {
  return `Expected ${tokenType}`;
}

// Semantic errors (no envelope).
export const aliasingNotSupported = 'Aliasing is not supported';
export const incompleteKeyInWhere = 'Where clause does not contain a mandatory equality on all key attributes';
export const unexpectedFromSource = 'Unexpected from source';
export const fromPathTooLong = 'A path may contain at most 2 components in the FROM clause';
export const multipleFromSources = 'Only select from a single table or index is supported.';
export const unexpectedPathComponent = 'Unexpected path component';
export const wildcardPathComponent = 'Wildcard path component like a[*].b are not supported';
export const starAndOtherAttributes = "Other attributes should not be present in the projection when '*' is used.";
export const selectValueNotSupported = "Select projection doesn't support value or pivot keywords";
export const parameterCountMismatch = "Number of parameters in request and statement don't match.";
export const duplicateItem = 'Duplicate primary key exists in table';
export const insertNotStruct = 'Unsupported format in item expression. Please use struct format {...} to express item values for insert statement.';
export const insertAtNotSupported = 'AT is not supported in insert statements.';
export const insertMultipleItems = 'Unsupported operation: Inserting multiple items in a single statement is not supported, use "INSERT INTO tableName VALUE item" instead';
export const returningInInsert = 'RETURNING is not supported in INSERT';
export const returningNeedsStar = "Expected '*' after ( MODIFIED | ALL ) ( NEW | OLD ) in RETURNING clause";
export const returningMultiple = 'Invalid syntax with multiple returning elements in RETURNING clause';
export const returningInTransaction = 'RETURNING clause is not supported in ExecuteTransaction.';
export const existsOutsideTransaction = 'EXISTS can only be used in ExecuteTransaction write requests.';
export const existsNeedsCondition = 'EXISTS() must contain a single item read with additional condition';
export const emptyBag = 'Empty bags are not supported';
export const mixedBag = 'Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags';
export const missingComparedWithoutIs = 'MISSING must be compared using IS operator';
export const isOperandNotPath = 'The left hand side argument to IS must be a Variable Reference, Literal, or Path';
export const isInUpdate = 'IS operator is not supported in update expressions';
export const whereNotBoolean = 'WHERE clause must contain an expression that resolves to a boolean';
export const invalidInOperator = 'IN operator must have a left hand argument of type Variable Reference and right hand argument of type Seq with at least one member';
export const consistentReadOnGsi = 'Strongly consistent read is not supported on Global Secondary Indexes';
export const selectInBatchNeedsKey = 'Select statements within BatchExecuteStatement must specify the primary key in the where clause.';
export const selectInTransactionNeedsKey = 'Select statements within ExecuteTransaction must specify the primary key in the where clause.';
export const indexReadInTransaction = 'Reads on indices are not supported within transactions.';
export const indexWriteInTransaction = 'Operations on indices are not supported in transactions';
export const dmlOnIndex = 'This operation is not supported on an index';
export const orderByNeedsWhere = 'Must have WHERE clause in the statement when using ORDER BY clause.';
export const orderByNeedsHashKey = 'Must have at least one non-optional hash key condition in WHERE clause when using ORDER BY clause.';
export const multiAttributeKeys = 'PartiQL statements cannot be executed on tables with multi-attribute HASH keys or multi-attribute RANGE keys.';
export const invalidNextToken = 'Invalid NextToken';
export const nextTokenMismatch = 'NextToken does not match request';
/** A batch that mixes reads and writes (unconfirmed wording; DynamoDB documents only the rule). */
export const batchMixesReadsAndWrites = 'Unsupported operation: A batch must consist of either read statements or write statements, not both';
/** A transaction that mixes reads and writes (unconfirmed wording; DynamoDB documents only the rule). */
export const transactionMixesReadsAndWrites = 'Unsupported operation: A transaction must consist of either read statements or write statements, not both';

export function orderByNotKey(name: string): string {
  return `Variable reference ${name} in ORDER BY clause must be part of the primary key`;
}
export function unsupportedOperation(what: string): string {
  return `Unsupported operation: ${what}`;
}
export function unrecognizedFunction(name: string): string {
  return `Unrecognized function: ${name}`;
}
export function unsupportedConditionOperator(op: string): string {
  return `Unsupported operator in Condition Expression. Operator: ${op}`;
}
export function unsupportedUpdateOperator(op: string): string {
  return `Unsupported operator in Update Expression. Operator: ${op}`;
}
export function unsupportedIsType(type: string): string {
  return `Unsupported data type for IS operator: ${type}. Supported data types are [MISSING, NULL, BOOLEAN, BLOB, STRING, NUMERIC, STRUCT, TUPLE, LIST]`;
}
export function unsupportedDataType(what: string, path: string): string {
  return `Unsupported data type: ${what} under key ${path}`;
}
export function tupleKeyNotString(type: string, path: string): string {
  return `Tuple keys must be of type String. Actual type: ${type} under ${path}`;
}
export function duplicateTupleKey(key: string, path: string): string {
  return `Duplicate keys in tuple. Key: ${key} under ${path}`;
}
export function multipleConditionsOnKey(name: string): string {
  return `Multiple conditions on same key ${name}. Only single item Update/Insert/Delete are supported`;
}
export function keyAttributeAbsent(name: string): string {
  return `Key attribute should be present in the item: Key ${name}`;
}
export function keyAttributeTypeMismatch(name: string): string {
  return `Key attribute's data type should match its data type in table's schema: Key ${name}`;
}
export function setFunctionArity(fn: 'ADD' | 'DELETE'): string {
  return `SET_${fn} must have exactly two arguments`;
}
export function setFunctionFirstArgument(fn: 'ADD' | 'DELETE'): string {
  return `The first argument to SET_${fn} must equal the assignment value`;
}
export function setFunctionSecondArgument(fn: 'ADD' | 'DELETE'): string {
  return `The second argument to SET_${fn} must be a value with type SET`;
}
/** A set literal with a repeated member: the JSON API's message, its members unquoted (captured from DynamoDB). */
export function bagDuplicates(members: readonly string[]): string {
  return `One or more parameter values were invalid: Input collection [${members.join(', ')}] contains duplicates.`;
}
export function gsiDoesNotProject(index: string, names: readonly string[]): string {
  return `One or more parameter values were invalid: Global secondary index ${index} does not project [${names.join(', ')}]`;
}
export function invalidDeleteReturning(what: string): string {
  return `Invalid returning clause: RETURNING ${what}. Only RETURNING ALL OLD * is allowed in DELETE statements.`;
}
export function transactionStatementFailed(index: number, message: string): string {
  return `Validation failed in TransactStatements[${index}]: ${message}`;
}
