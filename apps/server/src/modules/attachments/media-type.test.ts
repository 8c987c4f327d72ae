import { describe, expect, it } from 'vitest';
import { sniffMediaType } from './media-type.ts';

describe('sniffMediaType', () => {
  it('recognises the allowed types from their first bytes', () => {
    expect(sniffMediaType(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]))).toBe('image/jpeg');
    expect(sniffMediaType(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]))).toBe(
      'image/png',
    );
    expect(sniffMediaType(Buffer.from('RIFF\x10\x00\x00\x00WEBPVP8 ', 'latin1'))).toBe('image/webp');
    expect(sniffMediaType(Buffer.from('GIF89a\x01\x00'))).toBe('image/gif');
    expect(sniffMediaType(Buffer.from('%PDF-1.7\n'))).toBe('application/pdf');
  });

  it('refuses markup, text and whatever else, whatever it claims to be', () => {
    for (const text of [
      '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
      '<!DOCTYPE html><html><body>x</body></html>',
      '<?xml version="1.0"?><svg/>',
      '\ufeff<html>',
      'PK\x03\x04',
      'MZ\x90\x00',
      'RIFF\x10\x00\x00\x00WAVEfmt ',
      '',
      '\xff\xd8',
    ]) {
      expect(sniffMediaType(Buffer.from(text, 'latin1')), JSON.stringify(text)).toBeNull();
    }
  });
});
