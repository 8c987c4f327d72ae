import { z } from 'zod';

/**
 * A tag as the API writes it: `key` or `key:value` (the tags table keeps the two apart). Keys are the
 * lower-case names the database allows; values are short words (letters, digits, `_ . -`).
 * @example tagSchema.parse('criticality:high')
 */
export const tagSchema = z
  .string()
  .trim()
  .regex(/^[a-z0-9_.-]{1,64}(:[A-Za-z0-9_.-]{1,200})?$/, 'a tag is key or key:value (a-z 0-9 _ . -)');

/** The tags of an asset or device, each once, sorted when read. */
export const tagListSchema = z
  .array(tagSchema)
  .max(32)
  .refine((tags) => new Set(tags).size === tags.length, 'each tag once');

/** Splits a tag into the key and value the tags table stores (value '' for a bare key). */
export function splitTag(tag: string): { key: string; value: string } {
  const colon = tag.indexOf(':');
  return colon < 0 ? { key: tag, value: '' } : { key: tag.slice(0, colon), value: tag.slice(colon + 1) };
}
