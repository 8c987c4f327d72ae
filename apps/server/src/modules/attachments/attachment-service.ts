import { randomUUID, createHash } from 'node:crypto';
import { withTenant, type Database, type TenantTransaction } from '@tidewatch/db';
import type { Attachment, AttachmentMediaType, AttachmentOwnerType } from '@tidewatch/shared';
import { AppError, conflict, invalid, notFound } from '../../http/app-error.ts';
import { dbContext, type TenantContext } from '../../http/request-context.ts';
import { inZoneLimit } from '../../http/zone-scope.ts';
import { recordAudit } from '../audit/record-audit.ts';
import type { AttachmentBlobStore } from './blob-store.ts';
import { isImage, sniffMediaType } from './media-type.ts';
import { makeThumbnail } from './thumbnail.ts';

export interface AttachmentOwner {
  readonly type: AttachmentOwnerType;
  readonly id: string;
}

export interface AttachmentDeps {
  readonly db: Database;
  readonly store: AttachmentBlobStore;
}

const ownerNames: Record<AttachmentOwnerType, string> = {
  incident: 'Incident',
  maintenance_log: 'Maintenance log',
  asset: 'Asset',
};

interface OwnerRow {
  zone_id: string | null;
  /** Why nothing new may be attached, if so. */
  closed: string | null;
}

/** Each owner's zone (a log lies where its asset is, or else its incident) and whether it takes new files. */
const ownerQueries: Record<AttachmentOwnerType, string> = {
  incident: `SELECT zone_id, CASE WHEN status = 'closed' THEN 'The incident is closed' END AS closed
               FROM incidents WHERE id = $1::uuid`,
  maintenance_log: `SELECT coalesce(a.zone_id, i.zone_id) AS zone_id, NULL AS closed
                      FROM maintenance_logs l
                      LEFT JOIN assets a ON a.id = l.asset_id
                      LEFT JOIN incidents i ON i.id = l.incident_id
                     WHERE l.id = $1::uuid`,
  asset: `SELECT zone_id, CASE WHEN archived_at IS NOT NULL THEN 'The asset is archived' END AS closed
            FROM assets WHERE id = $1::uuid`,
};

/**
 * The owner as the caller may see it: 404 when it is not in the tenant or outside their zones (the same answer,
 * so nothing is learnt about other zones); for a new file also 409 when it takes none (closed, archived).
 */
export async function requireOwner(
  tx: TenantTransaction,
  ctx: TenantContext,
  owner: AttachmentOwner,
  purpose: 'read' | 'attach',
): Promise<void> {
  const [row] = await tx.$queryRawUnsafe<OwnerRow[]>(ownerQueries[owner.type], owner.id);
  if (!row || !inZoneLimit(ctx, row.zone_id)) throw notFound(ownerNames[owner.type]);
  if (purpose === 'attach' && row.closed !== null) throw conflict(row.closed);
}

const ownerColumn: Record<AttachmentOwnerType, string> = {
  incident: 'incident_id',
  maintenance_log: 'maintenance_log_id',
  asset: 'asset_id',
};

interface AttachmentRow {
  id: string;
  incident_id: string | null;
  incident_note_id: string | null;
  maintenance_log_id: string | null;
  asset_id: string | null;
  file_name: string;
  media_type: AttachmentMediaType;
  byte_size: number;
  sha256: string;
  has_thumbnail: boolean;
  created_by: string | null;
  created_at: Date;
}

const columns = `a.id, a.incident_id, a.incident_note_id, a.maintenance_log_id, a.asset_id, a.file_name, a.media_type,
                 a.byte_size, a.sha256, a.thumbnail IS NOT NULL AS has_thumbnail, a.created_by, a.created_at`;

function toAttachment(row: AttachmentRow): Attachment {
  const [ownerType, ownerId]: [AttachmentOwnerType, string | null] = row.incident_id
    ? ['incident', row.incident_id]
    : row.maintenance_log_id
      ? ['maintenance_log', row.maintenance_log_id]
      : ['asset', row.asset_id];
  return {
    id: row.id,
    ownerType,
    ownerId: ownerId ?? '',
    incidentNoteId: row.incident_note_id,
    fileName: row.file_name,
    mediaType: row.media_type,
    byteSize: row.byte_size,
    sha256: row.sha256,
    hasThumbnail: row.has_thumbnail,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
  };
}

/** The files of an owner the caller has already been allowed to see, oldest first. */
export async function attachmentsOf(tx: TenantTransaction, owner: AttachmentOwner): Promise<Attachment[]> {
  const rows = await tx.$queryRawUnsafe<AttachmentRow[]>(
    `SELECT ${columns} FROM attachments a WHERE a.${ownerColumn[owner.type]} = $1::uuid
      ORDER BY a.created_at, a.id`,
    owner.id,
  );
  return rows.map(toAttachment);
}

export async function listAttachments(
  tx: TenantTransaction,
  ctx: TenantContext,
  owner: AttachmentOwner,
): Promise<Attachment[]> {
  await requireOwner(tx, ctx, owner, 'read');
  return attachmentsOf(tx, owner);
}

/**
 * Stores a file on an owner. The type is read from the bytes (415 for anything but the allowed types, or an image
 * that does not decode); the size was bounded when the body was read (413). Images get a thumbnail. Bytes bound
 * for S3 are put there before the row is written: a failed insert leaves an unreferenced object, never a row
 * without its bytes.
 */
export async function uploadAttachment(
  deps: AttachmentDeps,
  ctx: TenantContext,
  owner: AttachmentOwner,
  bytes: Buffer,
  fileName: string,
): Promise<Attachment> {
  await withTenant(deps.db.prisma, dbContext(ctx), (tx) => requireOwner(tx, ctx, owner, 'attach'));
  if (bytes.length === 0) throw invalid('body', 'Send the file as the request body');
  const mediaType = sniffMediaType(bytes);
  if (mediaType === null) {
    throw new AppError(
      'unsupported_media_type',
      'Only JPEG, PNG, WebP and GIF images and PDF documents may be attached',
    );
  }
  const thumbnail = isImage(mediaType) ? await makeThumbnail(bytes) : null;
  const id = randomUUID();
  const stored = await deps.store.put(ctx.tenantId, id, bytes, mediaType);
  return withTenant(deps.db.prisma, dbContext(ctx), async (tx) => {
    await requireOwner(tx, ctx, owner, 'attach');
    await tx.attachment.create({
      data: {
        id,
        tenantId: ctx.tenantId,
        incidentId: owner.type === 'incident' ? owner.id : null,
        maintenanceLogId: owner.type === 'maintenance_log' ? owner.id : null,
        assetId: owner.type === 'asset' ? owner.id : null,
        fileName,
        mediaType,
        byteSize: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        storage: stored.storage,
        storageKey: stored.storageKey,
        content: stored.content === null ? null : new Uint8Array(stored.content),
        thumbnail: thumbnail === null ? null : new Uint8Array(thumbnail),
        createdBy: ctx.principal.userId,
      },
      select: { id: true },
    });
    await recordAudit(tx, ctx, {
      action: 'attachment.upload',
      resourceType: 'attachment',
      resourceId: id,
      details: { ownerType: owner.type, ownerId: owner.id, mediaType, byteSize: bytes.length },
    });
    const [row] = await tx.$queryRawUnsafe<AttachmentRow[]>(
      `SELECT ${columns} FROM attachments a WHERE a.id = $1::uuid`,
      id,
    );
    if (!row) throw new Error('the attachment just written is not readable');
    return toAttachment(row);
  });
}

/**
 * Puts files the caller uploaded to an incident (and that are on no note yet) on one of its notes. Anything else
 * (another incident's, another user's, already on a note, unknown) is refused as if it did not exist.
 */
export async function linkToNote(
  tx: TenantTransaction,
  ctx: TenantContext,
  incidentId: string,
  noteId: string,
  attachmentIds: readonly string[],
): Promise<void> {
  const ids = [...new Set(attachmentIds)];
  if (ids.length === 0) return;
  const linked = await tx.$executeRawUnsafe(
    `UPDATE attachments SET incident_note_id = $1::uuid
      WHERE id = ANY($2::uuid[]) AND incident_id = $3::uuid AND incident_note_id IS NULL AND created_by = $4::uuid`,
    noteId,
    ids,
    incidentId,
    ctx.principal.userId,
  );
  if (linked !== ids.length) {
    throw invalid('attachmentIds', 'Give files you uploaded to this incident that are on no note yet');
  }
}

interface AttachmentFileRow extends AttachmentRow {
  zone_id: string | null;
  storage: 'database' | 's3';
  storage_key: string | null;
  bytes: Buffer | null;
}

/** An attachment's bytes or thumbnail, within the caller's tenant and zones (404 otherwise). */
export async function readAttachment(
  deps: AttachmentDeps,
  ctx: TenantContext,
  id: string,
  variant: 'metadata' | 'content' | 'thumbnail',
): Promise<{ attachment: Attachment; bytes: Buffer | null }> {
  const bytesColumn =
    variant === 'thumbnail' ? 'a.thumbnail' : variant === 'content' ? 'a.content' : 'NULL::bytea';
  const row = await withTenant(deps.db.prisma, dbContext(ctx), async (tx) => {
    const [found] = await tx.$queryRawUnsafe<AttachmentFileRow[]>(
      `SELECT ${columns}, a.storage, a.storage_key, ${bytesColumn} AS bytes,
              CASE WHEN a.incident_id IS NOT NULL THEN i.zone_id
                   WHEN a.maintenance_log_id IS NOT NULL THEN coalesce(la.zone_id, li.zone_id)
                   ELSE aa.zone_id END AS zone_id
         FROM attachments a
         LEFT JOIN incidents i ON i.id = a.incident_id
         LEFT JOIN maintenance_logs l ON l.id = a.maintenance_log_id
         LEFT JOIN assets la ON la.id = l.asset_id
         LEFT JOIN incidents li ON li.id = l.incident_id
         LEFT JOIN assets aa ON aa.id = a.asset_id
        WHERE a.id = $1::uuid`,
      id,
    );
    return found;
  });
  if (!row || !inZoneLimit(ctx, row.zone_id)) throw notFound('Attachment');
  const attachment = toAttachment(row);
  if (variant === 'metadata') return { attachment, bytes: null };
  if (variant === 'thumbnail') {
    if (row.bytes === null) throw notFound('Thumbnail');
    return { attachment, bytes: Buffer.from(row.bytes) };
  }
  const bytes =
    row.storage === 's3' && row.storage_key !== null ? await deps.store.get(row.storage_key) : row.bytes;
  if (bytes === null) throw new Error(`attachment ${id} has no bytes`);
  return { attachment, bytes: Buffer.from(bytes) };
}
