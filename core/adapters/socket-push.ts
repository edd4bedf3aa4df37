/**
 * Pushes a message to one WebSocket connection through the API Gateway
 * Management API (locally, serverless-offline's @connections endpoint).
 * A connection that is gone answers HTTP 410; serverless-offline names that
 * error `Unknown`, so the status code is what we look at.
 */
import { ApiGatewayManagementApiClient, DeleteConnectionCommand, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { localCredentials } from './aws-clients.ts';

export type PushOutcome = 'sent' | 'gone';

export class SocketPush {
  private readonly client: ApiGatewayManagementApiClient;

  constructor(endpoint: string, region: string) {
    this.client = new ApiGatewayManagementApiClient({ endpoint, region, ...localCredentials(endpoint) });
  }

  async send(connectionId: string, message: unknown): Promise<PushOutcome> {
    return this.gone(this.client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from(JSON.stringify(message)) })));
  }

  /**
   * Closes the connection from the server's side (DeleteConnection). API Gateway
   * takes no close code here: the client sees 1000 (serverless-offline: 1005, none).
   */
  async close(connectionId: string): Promise<PushOutcome> {
    return this.gone(this.client.send(new DeleteConnectionCommand({ ConnectionId: connectionId })));
  }

  private async gone(request: Promise<unknown>): Promise<PushOutcome> {
    try {
      await request;
      return 'sent';
    } catch (error) {
      if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 410) return 'gone';
      throw error;
    }
  }
}
