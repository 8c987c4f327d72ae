import { describe, expect, it } from 'vitest';
import { allowOrigin } from './console-page.ts';

const page =
  "<head><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src 'self' data:; " +
  "connect-src 'self'; worker-src 'self'\" /></head>";

describe('the console page', () => {
  it("adds the tile server's origin to fetches and images only", () => {
    const html = allowOrigin(page, 'https://tiles.example');

    expect(html).toContain("img-src 'self' data: https://tiles.example;");
    expect(html).toContain("connect-src 'self' https://tiles.example;");
    expect(html).toContain("default-src 'none';");
    expect(html).toContain("worker-src 'self'\"");
  });
});
