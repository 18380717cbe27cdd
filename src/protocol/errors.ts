// The closed set of DynamoDB errors monodyne returns: each type's wire name, HTTP status
// and whether the AWS SDKs retry it. Code throws DynamoError, never ad-hoc strings.

const PREFIX_DYNAMODB = 'com.amazonaws.dynamodb.v20120810#';
const PREFIX_COYOTE = 'com.amazon.coral.service#';
const PREFIX_VALIDATE = 'com.amazon.coral.validate#';

export interface ErrorKind {
  readonly name: string;
  readonly wireType: string;
  readonly status: number;
  readonly retryable: boolean;
}

function kind(name: string, prefix: string, status: number, retryable: boolean): ErrorKind {
  return { name, wireType: prefix + name, status, retryable };
}

export const ErrorKinds = {
  ValidationException: kind('ValidationException', PREFIX_VALIDATE, 400, false),
  SerializationException: kind('SerializationException', PREFIX_COYOTE, 400, false),
  UnknownOperationException: kind('UnknownOperationException', PREFIX_COYOTE, 400, false),
  MissingAuthenticationTokenException: kind('MissingAuthenticationTokenException', PREFIX_COYOTE, 400, false),
  UnrecognizedClientException: kind('UnrecognizedClientException', PREFIX_COYOTE, 400, false),
  InvalidSignatureException: kind('InvalidSignatureException', PREFIX_COYOTE, 400, false),
  IncompleteSignatureException: kind('IncompleteSignatureException', PREFIX_COYOTE, 400, false),
  AccessDeniedException: kind('AccessDeniedException', PREFIX_COYOTE, 400, false),
  ResourceNotFoundException: kind('ResourceNotFoundException', PREFIX_DYNAMODB, 400, false),
  ResourceInUseException: kind('ResourceInUseException', PREFIX_DYNAMODB, 400, false),
  ConditionalCheckFailedException: kind('ConditionalCheckFailedException', PREFIX_DYNAMODB, 400, false),
  ProvisionedThroughputExceededException: kind('ProvisionedThroughputExceededException', PREFIX_DYNAMODB, 400, true),
  ThrottlingException: kind('ThrottlingException', PREFIX_COYOTE, 400, true),
  LimitExceededException: kind('LimitExceededException', PREFIX_DYNAMODB, 400, false),
  ItemCollectionSizeLimitExceededException: kind('ItemCollectionSizeLimitExceededException', PREFIX_DYNAMODB, 400, false),
  RequestLimitExceeded: kind('RequestLimitExceeded', PREFIX_DYNAMODB, 400, true),
  TransactionConflictException: kind('TransactionConflictException', PREFIX_DYNAMODB, 400, false),
  TransactionCanceledException: kind('TransactionCanceledException', PREFIX_DYNAMODB, 400, false),
  TransactionInProgressException: kind('TransactionInProgressException', PREFIX_DYNAMODB, 400, false),
  IdempotentParameterMismatchException: kind('IdempotentParameterMismatchException', PREFIX_DYNAMODB, 400, false),
  DuplicateItemException: kind('DuplicateItemException', PREFIX_DYNAMODB, 400, false),
  /** DynamoDB Streams: a shard iterator past its 15 minutes. */
  ExpiredIteratorException: kind('ExpiredIteratorException', PREFIX_DYNAMODB, 400, false),
  /** DynamoDB Streams: a position in records already trimmed (past their retention). */
  TrimmedDataAccessException: kind('TrimmedDataAccessException', PREFIX_DYNAMODB, 400, false),
  RequestEntityTooLarge: kind('RequestEntityTooLarge', PREFIX_COYOTE, 413, false),
  /** A client too slow to send its request; the SDKs retry this code as transient. */
  RequestTimeoutException: kind('RequestTimeoutException', PREFIX_COYOTE, 408, true),
  InternalServerError: kind('InternalServerError', PREFIX_DYNAMODB, 500, true),
  ServiceUnavailable: kind('ServiceUnavailable', PREFIX_COYOTE, 503, true),
} as const;

export type ErrorName = keyof typeof ErrorKinds;

export class DynamoError extends Error {
  readonly kind: ErrorKind;
  /** Extra fields DynamoDB puts beside __type and message (e.g. Item on a failed condition). */
  readonly extra: Record<string, unknown> | undefined;

  constructor(name: ErrorName, message: string, extra?: Record<string, unknown>) {
    super(message);
    this.kind = ErrorKinds[name];
    this.extra = extra;
  }
}

export function validationError(message: string): DynamoError {
  return new DynamoError('ValidationException', message);
}
