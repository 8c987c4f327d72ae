import { createServer, type IncomingMessage, type Server } from 'node:http';

/** One request the stand-in gateway received. */
export interface ReceivedSms {
  readonly contentType: string;
  readonly authorization: string | null;
  readonly body: string;
  /** The JSON body, or the form fields of a Twilio-style request. */
  readonly fields: Record<string, unknown>;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A local HTTP SMS gateway for tests: records every request and answers 201 with a message id, or with the
 * statuses queued in `failNext` first (503 to make the sender retry).
 */
export class SmsGatewayStandIn {
  readonly received: ReceivedSms[] = [];
  readonly failNext: number[] = [];
  private server: Server | undefined;
  private counter = 0;

  async start(): Promise<string> {
    this.server = createServer((request, response) => {
      void readBody(request).then((body) => {
        const contentType = request.headers['content-type'] ?? '';
        const failure = this.failNext.shift();
        if (failure !== undefined) {
          response.writeHead(failure, { 'content-type': 'application/json' }).end('{"error":"try later"}');
          return;
        }
        const fields: Record<string, unknown> = contentType.includes('json')
          ? (JSON.parse(body) as Record<string, unknown>)
          : Object.fromEntries(new URLSearchParams(body));
        this.received.push({
          contentType,
          authorization: request.headers.authorization ?? null,
          body,
          fields,
        });
        this.counter += 1;
        response
          .writeHead(201, { 'content-type': 'application/json' })
          .end(JSON.stringify({ sid: `SM${String(this.counter).padStart(6, '0')}`, status: 'queued' }));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    if (typeof address !== 'object' || !address) throw new Error('no address');
    return `http://127.0.0.1:${String(address.port)}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      if (!this.server) resolve();
      else
        this.server.close(() => {
          resolve();
        });
    });
  }
}
