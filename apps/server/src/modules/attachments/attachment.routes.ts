import { withTenant } from '@tidewatch/db';
import {
  attachmentListSchema,
  attachmentSchema,
  attachmentUploadQuerySchema,
  idParamsSchema,
  type Attachment,
  type AttachmentOwnerType,
  type Permission,
} from '@tidewatch/shared';
import { z } from 'zod';
import { dbContext } from '../../http/request-context.ts';
import { defineRoute, RawBody, type AnyRoute } from '../../http/route.ts';
import type { RouteDeps } from '../api-routes.ts';
import type { AttachmentBlobStore } from './blob-store.ts';
import { listAttachments, readAttachment, uploadAttachment } from './attachment-service.ts';

interface OwnerRoutes {
  readonly type: AttachmentOwnerType;
  /** The path segment before `/:id/attachments`. */
  readonly segment: string;
  readonly tag: string;
  readonly read: Permission;
  readonly attach: Permission;
  readonly what: string;
}

const owners: readonly OwnerRoutes[] = [
  {
    type: 'incident',
    segment: 'incidents',
    tag: 'incidents',
    read: 'incident:read',
    attach: 'incident:note',
    what: 'an incident (a photo of the site, a report)',
  },
  {
    type: 'maintenance_log',
    segment: 'maintenance-logs',
    tag: 'maintenance',
    read: 'asset:read',
    attach: 'maintenance_log:write',
    what: 'a maintenance log (the work before and after, a test report)',
  },
  {
    type: 'asset',
    segment: 'assets',
    tag: 'assets',
    read: 'asset:read',
    attach: 'maintenance_log:write',
    what: 'an asset (a data sheet, a drawing, a photo of the installation)',
  },
];

/** `inline` for images, `attachment` (download) for documents; the name both plain and UTF-8 encoded. */
function contentDisposition(kind: 'inline' | 'attachment', fileName: string): string {
  const plain = fileName.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `${kind}; filename="${plain}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

/**
 * Headers of a file served from the API's own origin: the type the server read from the bytes, no sniffing, and
 * a policy that lets nothing in it run (a PDF viewer or an image decoder is all a browser may apply to it).
 */
function fileHeaders(attachment: Attachment, variant: 'content' | 'thumbnail'): Record<string, string> {
  const inline = variant === 'thumbnail' || attachment.mediaType.startsWith('image/');
  return {
    'Content-Disposition': contentDisposition(inline ? 'inline' : 'attachment', attachment.fileName),
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'none'; sandbox",
    'Cross-Origin-Resource-Policy': 'same-origin',
    // The bytes of an id never change; only who may read them does, and that is checked on every request.
    'Cache-Control': 'private, max-age=86400',
    ETag: `"${attachment.sha256.slice(0, 32)}${variant === 'thumbnail' ? '-t' : ''}"`,
  };
}

/** Photos and documents on incidents, maintenance logs and assets, and the files themselves. */
export function attachmentRoutes({ db, config }: RouteDeps, store: AttachmentBlobStore): AnyRoute[] {
  const deps = { db, store };
  const ownerRoutes = owners.flatMap((owner) => [
    defineRoute({
      method: 'post',
      path: `/${owner.segment}/:id/attachments`,
      summary: `Attach a photo or document to ${owner.what}: JPEG, PNG, WebP, GIF or PDF, judged from the bytes`,
      tag: owner.tag,
      access: 'tenant',
      permission: owner.attach,
      params: idParamsSchema,
      query: attachmentUploadQuerySchema,
      binaryBody: {
        maxBytes: config.ATTACHMENT_MAX_BYTES,
        description: 'The file itself; its type is read from its first bytes, not from Content-Type',
      },
      idempotent: true,
      problems: ['unsupported_media_type'],
      response: attachmentSchema,
      status: 201,
      handler: ({ params, query, body }, ctx) =>
        uploadAttachment(
          deps,
          ctx,
          { type: owner.type, id: params.id },
          body as Buffer,
          query.fileName ?? 'attachment',
        ),
    }),
    defineRoute({
      method: 'get',
      path: `/${owner.segment}/:id/attachments`,
      summary: `The photos and documents of ${owner.what.split(' (')[0] ?? ''}, oldest first`,
      tag: owner.tag,
      access: 'tenant',
      permission: owner.read,
      params: idParamsSchema,
      response: attachmentListSchema,
      handler: async ({ params }, ctx) => ({
        items: await withTenant(db.prisma, dbContext(ctx), (tx) =>
          listAttachments(tx, ctx, { type: owner.type, id: params.id }),
        ),
      }),
    }),
  ]);
  const fileRoute = (variant: 'content' | 'thumbnail', summary: string): AnyRoute =>
    defineRoute({
      method: 'get',
      path: `/attachments/:id/${variant}`,
      summary,
      tag: 'attachments',
      access: 'tenant',
      permission: 'asset:read',
      params: idParamsSchema,
      response: z.string().meta({ description: 'The file', format: 'binary' }),
      contentType: 'application/octet-stream',
      handler: async ({ params, headers }, ctx) => {
        const { attachment, bytes } = await readAttachment(deps, ctx, params.id, variant);
        const fileHeadersOf = fileHeaders(attachment, variant);
        if (headers['if-none-match'] === fileHeadersOf.ETag) {
          return new RawBody<string>('', 'application/octet-stream', fileHeadersOf, 304);
        }
        const type = variant === 'thumbnail' ? 'image/jpeg' : attachment.mediaType;
        return new RawBody<string>(bytes ?? Buffer.alloc(0), type, fileHeadersOf);
      },
    });
  return [
    ...ownerRoutes,
    defineRoute({
      method: 'get',
      path: '/attachments/:id',
      summary: 'What an attachment is: its owner, name, type (read from its bytes), size and checksum',
      tag: 'attachments',
      access: 'tenant',
      permission: 'asset:read',
      params: idParamsSchema,
      response: attachmentSchema,
      handler: async ({ params }, ctx) => (await readAttachment(deps, ctx, params.id, 'metadata')).attachment,
    }),
    fileRoute(
      'content',
      'The file, within the caller’s tenant and zones: images inline, documents as a download, never sniffed',
    ),
    fileRoute('thumbnail', 'A JPEG of an image attachment fitted into 320×320 pixels (404 for documents)'),
  ];
}
