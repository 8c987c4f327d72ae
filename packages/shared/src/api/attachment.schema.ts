import { z } from 'zod';

/**
 * What the server stores: raster photos and PDF documents, recognised from their first bytes. Markup (HTML, SVG,
 * XML) is never among them: served from the API's origin it could run script.
 */
export const attachmentMediaTypes = [
  'image/jpeg',
  'image/png',
  'image/webp',
  'image/gif',
  'application/pdf',
] as const;
export type AttachmentMediaType = (typeof attachmentMediaTypes)[number];

export const attachmentOwnerTypes = ['incident', 'maintenance_log', 'asset'] as const;
export type AttachmentOwnerType = (typeof attachmentOwnerTypes)[number];

/** A file name as shown and offered for download: no path, quotes, markup or control characters. */
export const attachmentFileNameSchema = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(/^[^\\/<>"\p{Cc}]+$/u, 'must not contain / \\ < > " or control characters');

export const attachmentSchema = z
  .object({
    id: z.uuid(),
    ownerType: z.enum(attachmentOwnerTypes),
    ownerId: z.uuid(),
    /** The incident note the file came with, if any. */
    incidentNoteId: z.uuid().nullable(),
    fileName: z.string(),
    mediaType: z.enum(attachmentMediaTypes),
    byteSize: z.int(),
    sha256: z.string(),
    hasThumbnail: z.boolean(),
    createdBy: z.uuid().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'Attachment' });
export type Attachment = z.infer<typeof attachmentSchema>;

/** The body of an upload is the file's bytes; its name travels here. */
export const attachmentUploadQuerySchema = z.strictObject({
  fileName: attachmentFileNameSchema
    .optional()
    .describe('Shown and offered for download; default "attachment"'),
});

export const attachmentListSchema = z
  .object({ items: z.array(attachmentSchema) })
  .meta({ id: 'AttachmentList' });
