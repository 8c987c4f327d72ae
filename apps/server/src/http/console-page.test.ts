import { describe, expect, it } from 'vitest';
import { allowOrigins } from './console-page.ts';

const page =
  "<head><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src 'self' data:; " +
  "connect-src 'self'; worker-src 'self'\" /></head>";

describe('the console page', () => {
  it("adds the tile server's origins to fetches and images only", () => {
    const html = allowOrigins(page, ['https://tiles.example', 'https://glyphs.example']);

    expect(html).toContain("img-src 'self' data: https://tiles.example https://glyphs.example;");
    expect(html).toContain("connect-src 'self' https://tiles.example https://glyphs.example;");
    expect(html).toContain("default-src 'none';");
    expect(html).toContain("worker-src 'self'\"");
  });
});
