// The wire shapes of DynamoDB data, shared by every component: an item is a plain object of
// attribute name → AttributeValue, exactly as in DynamoDB JSON (binary values are base64 text).

export type AttributeValue =
  | { S: string }
  | { N: string }
  | { B: string }
  | { BOOL: boolean }
  | { NULL: true }
  | { SS: string[] }
  | { NS: string[] }
  | { BS: string[] }
  | { L: AttributeValue[] }
  | { M: { [name: string]: AttributeValue } };

export type Item = { [name: string]: AttributeValue };

/** The primary key of an item: its partition key attribute and, if the table has one, its sort key attribute. */
export type Key = Item;

export type ScalarAttributeType = 'S' | 'N' | 'B';

export type KeySchemaElement = { AttributeName: string; KeyType: 'HASH' | 'RANGE' };

export type AttributeDefinition = { AttributeName: string; AttributeType: ScalarAttributeType };
