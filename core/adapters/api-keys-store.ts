/** API key records in DynamoDB, keyed by the key's SHA-256. */
import { GetCommand, PutCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { apiKeyRecordSchema, type ApiKeyRecord } from '../tenants.ts';

export class ApiKeysStore {
  constructor(
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async put(record: ApiKeyRecord): Promise<void> {
    await this.dynamo.send(new PutCommand({ TableName: this.table, Item: record }));
  }

  async getByHash(keyHash: string): Promise<ApiKeyRecord | undefined> {
    const out = await this.dynamo.send(new GetCommand({ TableName: this.table, Key: { keyHash } }));
    return out.Item ? apiKeyRecordSchema.parse(out.Item) : undefined;
  }

  /** Every key (an admin listing; a scan is fine at the scale of API keys). */
  async list(): Promise<ApiKeyRecord[]> {
    const records: ApiKeyRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.dynamo.send(new ScanCommand({ TableName: this.table, ExclusiveStartKey: start }));
      records.push(...(out.Items ?? []).map((i) => apiKeyRecordSchema.parse(i)));
      start = out.LastEvaluatedKey;
    } while (start);
    return records.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** Marks the key with this id revoked; false when no active key has it. */
  async revoke(keyId: string, at: string): Promise<boolean> {
    const match = (await this.list()).find((r) => r.keyId === keyId && !r.revokedAt);
    if (!match) return false;
    try {
      await this.dynamo.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { keyHash: match.keyHash },
          UpdateExpression: 'SET revokedAt = :at',
          ConditionExpression: 'attribute_exists(keyHash) AND attribute_not_exists(revokedAt)',
          ExpressionAttributeValues: { ':at': at },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
