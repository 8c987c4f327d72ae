import { decodeVectorTile, type DecodedTile } from '@tidewatch/server/testing/vector-tile-decode';
import type { Browser, Locator, Page } from 'playwright-core';

/** The console's map, once it has drawn the network's first tiles. */
export async function openMap(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page
    .getByTestId('tenant-map')
    .and(page.locator('[data-map-ready="true"]'))
    .waitFor({ timeout: 60_000 });
}

export interface NetworkTile {
  readonly url: string;
  readonly status: number;
  readonly tile: DecodedTile;
}

/** Moves the map's camera as a shared link would: `#map=zoom/lat/lng` in the address. */
export async function moveCamera(page: Page, hash: string): Promise<void> {
  await page.evaluate((value) => {
    window.location.hash = value;
  }, hash);
}

/** Every network tile the page asks for, and every answer, decoded; `pending` counts those in flight. */
export function watchNetworkTiles(page: Page) {
  const requested: string[] = [];
  const answered: Promise<NetworkTile>[] = [];
  let pending = 0;
  const isTile = (url: string) => url.includes('/api/v1/map/tiles/');
  page.on('request', (request) => {
    if (!isTile(request.url())) return;
    requested.push(request.url());
    pending += 1;
  });
  const settle = (url: string) => {
    if (isTile(url)) pending -= 1;
  };
  page.on('requestfinished', (request) => {
    settle(request.url());
  });
  page.on('requestfailed', (request) => {
    settle(request.url());
  });
  page.on('response', (response) => {
    if (!isTile(response.url())) return;
    answered.push(
      (async () => {
        const body = response.status() === 200 ? await response.body() : Buffer.alloc(0);
        return { url: response.url(), status: response.status(), tile: decodeVectorTile(body) };
      })(),
    );
  });
  return {
    requested,
    answers: () => Promise.all(answered),
    /** Resolves once no tile has been in flight for `quietMs`. */
    async settled(quietMs = 1000, timeoutMs = 30_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      let quietSince = Date.now();
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        if (pending > 0) quietSince = Date.now();
        else if (Date.now() - quietSince >= quietMs) return;
        if (Date.now() > deadline) throw new Error(`${String(pending)} tiles still in flight`);
      }
    },
  };
}

/** The ids of a decoded tile's features in a layer. */
export function featureIds(tile: DecodedTile, layer: string): string[] {
  return (tile[layer] ?? []).map((feature) => String(feature.properties.id));
}

const decoders = new WeakMap<Browser, Promise<Page>>();

/** A blank page of the same browser to decode screenshots in (one per browser, kept). */
function decoderOf(browser: Browser): Promise<Page> {
  let decoder = decoders.get(browser);
  if (!decoder) {
    decoder = browser.newPage();
    decoders.set(browser, decoder);
  }
  return decoder;
}

/** What the decoder page returns: every pixel (small images only), or the share of those near a colour. */
type Decoded = { readonly pixels: number[] } | { readonly share: number };

/**
 * Decodes a PNG in the decoder page and returns its RGBA pixels by rows, or, given a colour, the share of pixels
 * within `tolerance` of it per channel, counted there: a whole screen's pixels copied out took half a minute.
 */
async function decode(
  browser: Browser,
  png: Buffer,
  match?: { readonly rgb: readonly [number, number, number]; readonly tolerance: number },
): Promise<Decoded> {
  const page = await decoderOf(browser);
  return page.evaluate(
    async ({ data, match }) => {
      const image = new Image();
      image.src = `data:image/png;base64,${data}`;
      await image.decode();
      const canvas = document.createElement('canvas');
      canvas.width = image.width;
      canvas.height = image.height;
      const context = canvas.getContext('2d');
      if (!context) throw new Error('no 2D canvas');
      context.drawImage(image, 0, 0);
      const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
      if (!match) return { pixels: Array.from(pixels) };
      const [r, g, b] = match.rgb;
      const close = (a: number, b: number) => Math.abs(a - b) < match.tolerance;
      let matching = 0;
      for (let i = 0; i < pixels.length; i += 4) {
        if (close(pixels[i] ?? 0, r) && close(pixels[i + 1] ?? 0, g) && close(pixels[i + 2] ?? 0, b))
          matching += 1;
      }
      return { share: matching / (pixels.length / 4) };
    },
    {
      data: png.toString('base64'),
      match: match && {
        rgb: [match.rgb[0], match.rgb[1], match.rgb[2]] as const,
        tolerance: match.tolerance,
      },
    },
  );
}

const near = (a: number, b: number, tolerance: number) => Math.abs(a - b) < tolerance;

/** Share of a screenshot's pixels that are `rgb` (within `tolerance` per channel). */
export async function colourShare(
  browser: Browser,
  png: Buffer,
  rgb: readonly [number, number, number],
  tolerance = 12,
): Promise<number> {
  const decoded = await decode(browser, png, { rgb, tolerance });
  if (!('share' in decoded)) throw new Error('the decoder page returned no share');
  return decoded.share;
}

/** The colour at the middle of an element on screen (where the map's camera is), from a 3×3 screenshot. */
export async function centrePixel(
  browser: Browser,
  page: Page,
  element: Locator,
): Promise<[number, number, number]> {
  return (await centreProbe(browser, page, element)).rgb;
}

/**
 * The colour at the middle of an element and when the screen held it: `shotAt` is when the screenshot was
 * back, before decoding it, so the colour was on screen by then.
 */
export async function centreProbe(
  browser: Browser,
  page: Page,
  element: Locator,
): Promise<{ rgb: [number, number, number]; shotAt: number }> {
  const box = await element.boundingBox();
  if (!box) throw new Error('the element is not on screen');
  const clip = {
    x: Math.round(box.x + box.width / 2) - 1,
    y: Math.round(box.y + box.height / 2) - 1,
    width: 3,
    height: 3,
  };
  const png = await page.screenshot({ clip });
  const shotAt = Date.now();
  const decoded = await decode(browser, png);
  if (!('pixels' in decoded)) throw new Error('the decoder page returned no pixels');
  const data = decoded.pixels;
  const at = (1 * 3 + 1) * 4;
  return { rgb: [data[at] ?? 0, data[at + 1] ?? 0, data[at + 2] ?? 0], shotAt };
}

export function isColour(
  [r, g, b]: readonly [number, number, number],
  [er, eg, eb]: readonly [number, number, number],
  tolerance = 30,
): boolean {
  return near(r, er, tolerance) && near(g, eg, tolerance) && near(b, eb, tolerance);
}
