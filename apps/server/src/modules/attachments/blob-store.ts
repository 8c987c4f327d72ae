import {
  GetObjectCommand,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';

/** Where an attachment's bytes are: in its own row, or an object of S3-compatible storage. */
export type StoredBytes =
  | { readonly storage: 'database'; readonly content: Buffer; readonly storageKey: null }
  | { readonly storage: 's3'; readonly content: null; readonly storageKey: string };

/** Keeps and returns attachment bytes. */
export interface AttachmentBlobStore {
  /** Stores the bytes of a new attachment (before its row is written). */
  put(tenantId: string, id: string, bytes: Buffer, mediaType: string): Promise<StoredBytes>;
  /** The bytes of an attachment stored by `put` under `storageKey`. */
  get(storageKey: string): Promise<Buffer>;
}

/** The default: bytes go into the attachment's row (`content`), under the tenant's row-level security. */
export const databaseBlobStore: AttachmentBlobStore = {
  put: (_tenantId, _id, bytes) => Promise.resolve({ storage: 'database', content: bytes, storageKey: null }),
  get: () => Promise.reject(new Error('database attachments are read with their row')),
};

/** `https://KEY:SECRET@host:port/bucket?region=…` as the SDK's settings and the bucket. */
export function parseS3Url(url: string): { config: S3ClientConfig; bucket: string } {
  const parsed = new URL(url);
  const bucket = decodeURIComponent(parsed.pathname.replace(/^\/+|\/+$/g, ''));
  if (!bucket || bucket.includes('/'))
    throw new Error('S3_URL must name one bucket as its path: https://…/bucket');
  if (!parsed.username || !parsed.password) throw new Error('S3_URL must carry ACCESS_KEY:SECRET@');
  return {
    bucket,
    config: {
      endpoint: parsed.origin,
      region: parsed.searchParams.get('region') ?? 'us-east-1',
      forcePathStyle: true,
      credentials: {
        accessKeyId: decodeURIComponent(parsed.username),
        secretAccessKey: decodeURIComponent(parsed.password),
      },
      maxAttempts: 3,
    },
  };
}

/**
 * Bytes in S3-compatible storage, one object per attachment under `<tenant id>/<attachment id>`. The bucket should
 * be private: the server is the only reader, and serves the bytes itself within the tenant's and zones' limits.
 */
export class S3BlobStore implements AttachmentBlobStore {
  private readonly client: S3Client;
  private readonly bucket: string;

  constructor(url: string) {
    const { config, bucket } = parseS3Url(url);
    this.client = new S3Client(config);
    this.bucket = bucket;
  }

  async put(tenantId: string, id: string, bytes: Buffer, mediaType: string): Promise<StoredBytes> {
    const key = `${tenantId}/${id}`;
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: bytes, ContentType: mediaType }),
    );
    return { storage: 's3', content: null, storageKey: key };
  }

  async get(storageKey: string): Promise<Buffer> {
    try {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: storageKey }));
      if (!answer.Body) throw new Error('S3 answered without a body');
      return Buffer.from(await answer.Body.transformToByteArray());
    } catch (error) {
      if (error instanceof NoSuchKey)
        throw new Error(`attachment object ${storageKey} is missing from the bucket`, { cause: error });
      throw error;
    }
  }

  close(): void {
    this.client.destroy();
  }
}

export function blobStoreFor(s3Url: string | undefined): AttachmentBlobStore {
  return s3Url ? new S3BlobStore(s3Url) : databaseBlobStore;
}
