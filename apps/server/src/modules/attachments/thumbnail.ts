import sharp from 'sharp';
import { AppError } from '../../http/app-error.ts';

/** Thumbnails fit this square, the size the console and the field app show them at (twice, for sharp screens). */
const THUMBNAIL_PX = 320;
/** A photo of a burst is a few dozen megapixels at most; more is a decompression bomb. */
const MAX_INPUT_PIXELS = 80_000_000;

/**
 * A small JPEG of an image, turned upright as the camera said. Decoding the whole image also proves it is one: a
 * file with an image's first bytes that does not decode is refused (415), not stored.
 */
export async function makeThumbnail(bytes: Buffer): Promise<Buffer> {
  try {
    return await sharp(bytes, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error', animated: false })
      .rotate()
      .resize(THUMBNAIL_PX, THUMBNAIL_PX, { fit: 'inside', withoutEnlargement: true })
      .flatten({ background: '#ffffff' })
      .jpeg({ quality: 72, mozjpeg: true })
      .toBuffer();
  } catch {
    throw new AppError('unsupported_media_type', 'The file is not a readable image');
  }
}
