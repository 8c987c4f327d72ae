import { z } from 'zod';
import { popoutKinds } from '../common/desktop-api.ts';
import { isSafeServerOrigin, UNSAFE_SERVER_MESSAGE } from '../common/server-address.ts';

const rectSchema = z.object({
  x: z.number().int().min(-100_000).max(100_000),
  y: z.number().int().min(-100_000).max(100_000),
  width: z.number().int().min(1).max(100_000),
  height: z.number().int().min(1).max(100_000),
});
export type Rect = z.infer<typeof rectSchema>;

/** Where a window was: its bounds, the display it was on, and whether it was maximized or open. */
export const windowPlacementSchema = z.object({
  bounds: rectSchema,
  displayId: z.number().nullable(),
  maximized: z.boolean(),
  open: z.boolean(),
});
export type WindowPlacement = z.infer<typeof windowPlacementSchema>;

const httpUrlSchema = z
  .url({ protocol: /^https?$/ })
  .max(2048)
  .refine((text) => isSafeServerOrigin(new URL(text)), UNSAFE_SERVER_MESSAGE)
  .transform((text) => new URL(text).origin);

/** Preference keys are short names the renderer chooses; values are JSON up to a size the file can carry. */
export const preferenceKeySchema = z.string().regex(/^[a-z][a-z0-9._-]{0,63}$/);
export const MAX_PREFERENCE_BYTES = 256 * 1024;

/**
 * The settings file. Each part falls back to its default on its own, so one damaged entry (a hand edit, an
 * older version) costs that entry and not the operator's whole layout.
 */
export const settingsSchema = z.object({
  version: z.literal(1).catch(1),
  serverUrl: httpUrlSchema.nullable().catch(null),
  windows: z
    .object({
      main: windowPlacementSchema.nullable().catch(null),
      popouts: z.partialRecord(z.enum(popoutKinds), windowPlacementSchema).catch({}),
    })
    .catch({ main: null, popouts: {} }),
  preferences: z.record(preferenceKeySchema, z.json()).catch({}),
});
export type Settings = z.infer<typeof settingsSchema>;

export const defaultSettings: Settings = {
  version: 1,
  serverUrl: null,
  windows: { main: null, popouts: {} },
  preferences: {},
};

/** A server address as the operator typed it, reduced to its origin; throws unless https, or http to this computer. */
export function parseServerUrl(text: string): string {
  return httpUrlSchema.parse(text.trim());
}
