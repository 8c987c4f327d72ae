import type { AttachmentMediaType } from '@tidewatch/shared';

const startsWith = (bytes: Buffer, signature: readonly number[], at = 0): boolean =>
  bytes.length >= at + signature.length && signature.every((byte, i) => bytes[at + i] === byte);

const ascii = (text: string): number[] => Array.from(Buffer.from(text, 'latin1'));

/**
 * What a file is, from its first bytes: the types attachments may have, or null for anything else (HTML, SVG,
 * scripts, archives, executables, text), whatever name or Content-Type it came with.
 * @example sniffMediaType(Buffer.from('%PDF-1.7\n...')) // 'application/pdf'
 */
export function sniffMediaType(bytes: Buffer): AttachmentMediaType | null {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8)) return 'image/webp';
  if (startsWith(bytes, ascii('GIF87a')) || startsWith(bytes, ascii('GIF89a'))) return 'image/gif';
  if (startsWith(bytes, ascii('%PDF-'))) return 'application/pdf';
  return null;
}

export const isImage = (type: AttachmentMediaType): boolean => type.startsWith('image/');
