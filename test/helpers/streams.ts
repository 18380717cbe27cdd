// Tables with a stream, as the Streams tests make them: on demand, keyed on a string `id`.
import { CreateTableCommand, type CreateTableCommandOutput, type DynamoDBClient, type StreamViewType } from '@aws-sdk/client-dynamodb';

export function createStreamTable(client: DynamoDBClient, TableName: string, StreamViewType: StreamViewType): Promise<CreateTableCommandOutput> {
  return client.send(
    new CreateTableCommand({
      TableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      StreamSpecification: { StreamEnabled: true, StreamViewType },
    }),
  );
}
