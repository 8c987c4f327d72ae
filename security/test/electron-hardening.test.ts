import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { EventEmitter } from 'node:events';
import type { Session, WebContents } from 'electron';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  contentSecurityPolicy,
  serverConnectSources,
} from '../../apps/desktop/src/common/content-security-policy.ts';
import { APP_ORIGIN } from '../../apps/desktop/src/main/app-origin.ts';
import { hardenSession, hardenWebContents } from '../../apps/desktop/src/main/harden-web-contents.ts';
import { decideWindowOpen, isAppNavigation } from '../../apps/desktop/src/main/navigation-policy.ts';
import { isPermissionGranted } from '../../apps/desktop/src/main/permission-policy.ts';
import { secureWebPreferences } from '../../apps/desktop/src/main/secure-web-preferences.ts';
import { reportResults } from '../src/results.ts';
import { readSources, scan, type SourceFile } from '../src/static-scan.ts';

const DESKTOP_SRC = path.resolve(import.meta.dirname, '../../apps/desktop/src');
const FOREIGN_URLS = [
  'https://evil.example/',
  'http://127.0.0.1:8080/',
  'file:///etc/passwd',
  'javascript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  'tidewatch://console.evil.example/',
  'tidewatch://consolex/',
  'tidewatch://console@evil.example/',
  'TIDEWATCH://evil/',
  'about:blank',
  'chrome://settings',
  'not a url',
];
/** Every permission Chromium asks Electron about; the console needs none of them. */
const PERMISSIONS = [
  'clipboard-read',
  'clipboard-sanitized-write',
  'display-capture',
  'fullscreen',
  'geolocation',
  'idle-detection',
  'media',
  'mediaKeySystem',
  'midi',
  'midiSysex',
  'notifications',
  'pointerLock',
  'keyboardLock',
  'openExternal',
  'speaker-selection',
  'storage-access',
  'top-level-storage-access',
  'window-management',
  'unknown',
  'fileSystem',
  'hid',
  'serial',
  'usb',
];

/** A stand-in for Electron's WebContents: records handlers and whether a navigation was prevented. */
class FakeContents extends EventEmitter {
  windowOpenHandler: ((details: { url: string }) => { action: string }) | undefined;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.windowOpenHandler = handler;
  }
  navigate(event: 'will-navigate' | 'will-redirect' | 'will-attach-webview', url: string): boolean {
    let prevented = false;
    this.emit(event, { url, preventDefault: () => (prevented = true) });
    return prevented;
  }
}

describe('Electron hardening (the checks Electronegativity makes)', () => {
  let sources: SourceFile[];
  const checks: string[] = [];

  beforeAll(async () => {
    sources = await readSources(DESKTOP_SRC);
  });

  it('opens every window with Node off, context isolation, the sandbox and web security on', () => {
    const preferences = secureWebPreferences('/app/preload/index.cjs') as Record<string, unknown>;

    expect(preferences).toMatchObject({
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      contextIsolation: true,
      sandbox: true,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
    });
    for (const key of [
      'enableBlinkFeatures',
      'enableRemoteModule',
      'additionalArguments',
      'disableBlinkFeatures',
    ]) {
      expect(preferences, key).not.toHaveProperty(key);
    }
    checks.push('webPreferences');
  });

  it('creates every BrowserWindow with those preferences', () => {
    const windows = sources.filter((f) => f.text.includes('new BrowserWindow('));
    expect(windows.length).toBeGreaterThan(0);
    for (const file of windows) {
      const constructions = file.text.split('new BrowserWindow(').slice(1);
      for (const construction of constructions)
        expect(construction.slice(0, 400), file.name).toContain('webPreferences: secureWebPreferences(');
    }
    checks.push('BrowserWindow construction');
  });

  it('keeps windows on the app: foreign navigation, redirects, webviews and window.open are refused', () => {
    const origins = [APP_ORIGIN];
    expect(isAppNavigation(`${APP_ORIGIN}/index.html?view=alerts`, origins)).toBe(true);
    for (const url of FOREIGN_URLS) {
      expect(isAppNavigation(url, origins), url).toBe(false);
      expect(decideWindowOpen(url, origins), url).toEqual({ action: 'deny' });
    }
    const contents = new FakeContents();
    const opened: (string | null)[] = [];
    hardenWebContents(contents as unknown as WebContents, {
      appOrigins: () => origins,
      openPopoutView: (view) => opened.push(view),
      log: { warn: () => undefined },
    });
    for (const url of FOREIGN_URLS) {
      expect(contents.navigate('will-navigate', url), url).toBe(true);
      expect(contents.navigate('will-redirect', url), url).toBe(true);
      expect(contents.windowOpenHandler?.({ url }), url).toEqual({ action: 'deny' });
    }
    expect(contents.navigate('will-navigate', `${APP_ORIGIN}/index.html`)).toBe(false);
    expect(contents.navigate('will-attach-webview', `${APP_ORIGIN}/index.html`)).toBe(true);
    // Even an app URL never gets a window from the page itself: main builds the pop-out.
    expect(contents.windowOpenHandler?.({ url: `${APP_ORIGIN}/index.html?view=map` })).toEqual({
      action: 'deny',
    });
    expect(opened).toEqual(['map']);
    checks.push('navigation and window.open');
  });

  it('denies every permission request and check', () => {
    let requestHandler:
      ((contents: unknown, permission: string, callback: (granted: boolean) => void) => void) | undefined;
    let checkHandler: ((contents: unknown, permission: string) => boolean) | undefined;
    hardenSession({
      setPermissionRequestHandler: (handler: typeof requestHandler) => (requestHandler = handler),
      setPermissionCheckHandler: (handler: typeof checkHandler) => (checkHandler = handler),
    } as unknown as Session);
    for (const permission of PERMISSIONS) {
      expect(isPermissionGranted(permission), permission).toBe(false);
      let granted: boolean | undefined;
      requestHandler?.(null, permission, (answer) => (granted = answer));
      expect(granted, permission).toBe(false);
      expect(checkHandler?.(null, permission), permission).toBe(false);
    }
    expect(sources.find((f) => f.name === 'main/index.ts')?.text).toMatch(
      /hardenSession\(session\.defaultSession\)/,
    );
    checks.push('permissions');
  });

  it('serves a content security policy without eval, inline script, plugins, framing or base changes', async () => {
    const connect = serverConnectSources('https://scada.example:8443/');
    for (const delivery of ['header', 'meta'] as const) {
      const policy = contentSecurityPolicy({ delivery, connectSources: connect });
      const directives = new Map(
        policy
          .split(';')
          .map((d) => d.trim().split(/\s+/))
          .map(([name = '', ...values]) => [name, values]),
      );
      expect(policy).not.toContain('unsafe-eval');
      expect(policy).not.toContain('unsafe-inline');
      expect(directives.get('default-src')).toEqual(["'none'"]);
      expect(directives.get('script-src')).toEqual(["'self'"]);
      expect(directives.get('object-src')).toEqual(["'none'"]);
      expect(directives.get('base-uri')).toEqual(["'none'"]);
      expect(directives.get('connect-src')).toEqual([
        "'self'",
        'https://scada.example:8443',
        'wss://scada.example:8443',
      ]);
      if (delivery === 'header') expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    }
    // Development widens script-src for Vite, never to eval.
    expect(contentSecurityPolicy({ delivery: 'header', development: true })).not.toContain('unsafe-eval');
    expect(serverConnectSources('javascript:alert(1)')).toEqual([]);
    // Enforced both ways: the app protocol sends the header (and the meta), the web build gets the meta.
    expect(sources.find((f) => f.name === 'main/app-protocol.ts')?.text).toMatch(
      /'content-security-policy',\s*contentSecurityPolicy\(\{ delivery: 'header'/,
    );
    expect(await readFile(path.join(DESKTOP_SRC, '../electron.vite.config.ts'), 'utf8')).toMatch(
      /transformIndexHtml:.*withCspMeta\(html, contentSecurityPolicy\(/,
    );
    checks.push('content security policy');
  });

  it('guards every IPC handler with a check that the sender is an app frame', () => {
    const handlers = sources.filter((f) => /\baddHandler\(ipcMain,/.test(f.text));
    expect(handlers.length).toBeGreaterThan(0);
    for (const file of handlers) {
      const calls = file.text.split(/\baddHandler\(ipcMain,/).slice(1);
      for (const call of calls) expect(call.slice(0, 300), file.name).toMatch(/isAppFrame/);
    }
    checks.push('IPC sender checks');
  });

  it('uses no risky API anywhere in the desktop app: eval, HTML from strings, remote, insecure settings', async () => {
    const hits = scan(sources);
    // shell.openExternal with a URL nobody checked hands the OS whatever a page asks for.
    for (const file of sources.filter((f) => f.text.includes('openExternal('))) {
      if (!/protocol\s*={2,3}\s*'https:'/.test(file.text))
        hits.push({
          file: file.name,
          line: 0,
          id: 'open-external-unchecked',
          text: 'openExternal without an https check',
        });
    }
    await reportResults('electron-hardening', { files: sources.length, checks, hits });
    expect(sources.length).toBeGreaterThan(20);
    expect(hits).toEqual([]);
  });
});
