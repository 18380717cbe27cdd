// What the start-up tests do through the AWS SDK to show that a server they started works:
// create a table, put an item, read it back.
import assert from 'node:assert/strict';
import { CreateTableCommand, GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

export async function createTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
}

export async function putItem(client: DynamoDBClient, tableName: string, id: string, value: string): Promise<void> {
  await client.send(new PutItemCommand({ TableName: tableName, Item: { id: { S: id }, value: { S: value } } }));
}

/** The item's value, read with a strongly consistent GetItem. */
export async function getValue(client: DynamoDBClient, tableName: string, id: string): Promise<string | undefined> {
  const got = await client.send(new GetItemCommand({ TableName: tableName, Key: { id: { S: id } }, ConsistentRead: true }));
  return got.Item?.value?.S;
}

/** CreateTable, PutItem, GetItem: fails the test unless the item comes back. */
export async function roundTrip(client: DynamoDBClient, tableName: string): Promise<void> {
  await createTable(client, tableName);
  await putItem(client, tableName, 'k', `value of ${tableName}`);
  assert.equal(await getValue(client, tableName, 'k'), `value of ${tableName}`);
}
