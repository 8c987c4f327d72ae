import { describe, expect, it } from 'vitest';
import { secureWebPreferences } from '../src/main/secure-web-preferences.ts';

describe('secureWebPreferences', () => {
  it('isolates and sandboxes the renderer and gives it no Node', () => {
    const preferences = secureWebPreferences('/app/out/preload/index.cjs');
    expect(preferences).toMatchObject({
      preload: '/app/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
    });
  });

  it('gives every window its own copy, so one window cannot loosen another', () => {
    const first = secureWebPreferences('a.cjs');
    first.sandbox = false;
    expect(secureWebPreferences('a.cjs').sandbox).toBe(true);
  });
});
