// Every DynamoDB service limit monodyne enforces, named once. Source: the DynamoDB
// Developer Guide, "Service, account, and table quotas" and the API reference.

/** Maximum item size, including attribute names (Developer Guide: Item size limit). */
export const itemSizeBytesMax = 400 * 1024;
/** Partition key value: 1 to 2048 bytes. */
export const partitionKeyBytesMax = 2048;
/** Sort key value: 1 to 1024 bytes. */
export const sortKeyBytesMax = 1024;
/** Table names: 3 to 255 characters of [a-zA-Z0-9_.-]. */
export const tableNameLengthMin = 3;
export const tableNameLengthMax = 255;
export const tableNamePattern = /^[a-zA-Z0-9_.-]+$/;
/** Attribute names in key schemas and expressions: at most 255 bytes (key attributes). */
export const keyAttributeNameBytesMax = 255;
/** DynamoDB Streams: a shard iterator expires 15 minutes after it was issued. */
export const shardIteratorLifetimeMs = 15 * 60 * 1000;
/** GetRecords: at most 1,000 records (Limit) and 1 MB a call. */
export const getRecordsLimitMax = 1000;
export const getRecordsBytesMax = 1024 * 1024;
/**
 * DynamoDB Streams: readers of one shard served at once (Developer Guide, "DynamoDB Streams": "No
 * more than two processes at most should be reading from the same streams shard at the same
 * time"; API reference, LimitExceededException). The default of streams.readersPerShard.
 */
export const streamShardReadersMax = 2;
/** DescribeStream: "at a maximum rate of 10 times per second" (API reference). The default of streams.describeStreamCallsPerSecond. */
export const describeStreamCallsPerSecondMax = 10;
/** ListStreams and DescribeStream: at most 100 streams or shards a page (Limit). */
export const streamsPageLimitMax = 100;
/** UpdateTimeToLive's AttributeName: 1 to 255 characters. */
export const timeToLiveAttributeNameLengthMax = 255;
/**
 * Any other attribute name, at any nesting level: 1 to 65,535 UTF-8 bytes (Developer Guide:
 * "Naming rules": "at least one character long and less than 64 KB"; 65,536 is refused).
 */
export const attributeNameBytesMax = 65535;
/** Query and Scan return at most 1 MB of data per page before filtering. */
export const pageBytesMax = 1024 * 1024;
/** Number: up to 38 significant digits. */
export const numberDigitsMax = 38;
/** Positive range 1E-130 to 9.9999999999999999999999999999999999999E+125. */
export const numberExponentMax = 125;
export const numberExponentMin = -130;
/**
 * Nested attributes up to 32 levels deep; likewise a document path in an expression, its
 * top-level attribute included ("a" + ".b" × 31 is the deepest).
 */
export const nestingDepthMax = 32;
/**
 * Tables per account and Region: 2,500, DynamoDB's default quota (Developer Guide: "Service,
 * account, and table quotas"). It also bounds what a storage node opens: two LMDB trees per table
 * plus one, within lmdb-tree.ts's namedDbsMax (10,000; past it a table's replicas cannot be made).
 */
export const tablesMax = 2500;
/** TransactWriteItems and TransactGetItems: at most 100 actions. */
export const transactionActionsMax = 100;
/** A transaction's request: at most 4 MB. */
export const transactionRequestBytesMax = 4 * 1024 * 1024;
/** How long a ClientRequestToken makes a repeated transaction answer as the first did. */
export const clientRequestTokenMs = 10 * 60 * 1000;
/** Global secondary indexes per table (DynamoDB's default quota; a setting). */
export const globalSecondaryIndexesMax = 20;
/** Local secondary indexes per table (fixed in DynamoDB). */
export const localSecondaryIndexesMax = 5;
/** INCLUDE projections: non-key attributes across all of a table's indexes. */
export const projectedNonKeyAttributesMax = 100;
/** A GSI's partition key and sort key may each be made of this many attributes. */
export const indexKeyAttributesMax = 4;
/** ListTables Limit: 1 to 100. */
export const listTablesLimitMax = 100;
/** ListContributorInsights' MaxResults maximum (API reference: "Maximum value of 100"). */
export const listContributorInsightsResultsMax = 100;
/** BatchWriteItem: at most 25 put/delete requests. */
export const batchWriteItemsMax = 25;
/** BatchGetItem: at most 100 keys, 16 MB response. */
export const batchGetKeysMax = 100;
export const batchGetResponseBytesMax = 16 * 1024 * 1024;
/** Expression strings are at most 4 KB. */
export const expressionBytesMax = 4096;
/**
 * Operators in one condition expression (comparators, AND, OR, NOT, BETWEEN, IN): at most 300
 * (Developer Guide: Constraints, "Expression parameters"). Function calls are not counted.
 */
export const expressionOperatorsMax = 300;
/**
 * All substitution variables of a request, ExpressionAttributeNames and ExpressionAttributeValues
 * together, are at most 2 MB (Developer Guide: Constraints, "Expression parameters"). DynamoDB does
 * not say how a value's length is counted; monodyne counts the bytes the names and values take in
 * the frame that carries them to a storage node (src/validation/substitution-size.ts).
 */
export const substitutionBytesMax = 2 * 1024 * 1024;
/** Request payload limit for the DynamoDB HTTP API (16 MB). */
export const requestBodyBytesMax = 16 * 1024 * 1024;
/** Each table's provisioned throughput: at least 1 unit. */
export const provisionedUnitsMin = 1;
/** Largest ReadCapacityUnits/WriteCapacityUnits accepted by CreateTable/UpdateTable. */
export const provisionedUnitsMax = 1_000_000_000_000;
/**
 * What a new on-demand table (and each of its global indexes) sustains at once: 4,000 write or
 * 12,000 read request units a second, or a linear mix, over distinct keys (Developer Guide:
 * "On-demand capacity mode", initial throughput; also its WarmThroughput in DescribeTable).
 */
export const onDemandInitialWriteUnitsPerSecond = 4_000;
export const onDemandInitialReadUnitsPerSecond = 12_000;
/** PartiQL: a statement is 1 to 8192 characters (API reference: ExecuteStatement, Statement). */
export const partiqlStatementLengthMax = 8192;
/** PartiQL: a NextToken is 1 to 32768 characters (API reference: ExecuteStatement, NextToken). */
export const partiqlNextTokenLengthMax = 32768;
/** BatchExecuteStatement: 1 to 25 statements (API reference: BatchExecuteStatement, Statements). */
export const batchStatementsMax = 25;
/** ExecuteTransaction: 1 to 100 statements (API reference: ExecuteTransaction, TransactStatements). */
export const transactStatementsMax = 100;
/** ExecuteTransaction: ClientRequestToken is 1 to 36 characters (API reference). */
export const clientRequestTokenLengthMax = 36;
/** Tags per table (Developer Guide: "Tagging restrictions in DynamoDB"). */
export const tagsPerResourceMax = 50;
/** A tag key: 1 to 128 Unicode characters (same page and API reference: Tag). */
export const tagKeyLengthMin = 1;
export const tagKeyLengthMax = 128;
/** A tag value: 0 to 256 Unicode characters. */
export const tagValueLengthMax = 256;
/** Tag keys and values: letters, digits and white space of any script, and + - = . _ : / @ (AWS tagging rules). */
export const tagCharactersPattern = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
/** Tag keys AWS assigns begin with it (any case); a user may not. */
export const reservedTagKeyPrefix = 'aws:';
/** DescribeEndpoints: how long a client may cache the answer (DynamoDB answers 1440 minutes). */
export const endpointCachePeriodMinutes = 1440;
