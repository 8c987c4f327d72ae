import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EventEmitter } from 'node:events';
import { FuseV1Options, getCurrentFuseWire } from '@electron/fuses';
import { PlatformPackager } from 'app-builder-lib';
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config.js';
import { DebugLogger } from 'builder-util';
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

  it('packages Electron with its fuses set: no Node mode, NODE_OPTIONS or inspector, code from app.asar only', async () => {
    // The packaging config as electron-builder reads and validates it (a misspelt option fails here).
    const desktop = path.resolve(DESKTOP_SRC, '..');
    const config = await getConfig(desktop, path.join(desktop, 'electron-builder.yml'), null);
    await validateConfiguration(config, new DebugLogger(false));
    expect(config.asar).toBe(true);
    // electron-builder's own packaging step, run on a stand-in binary carrying Electron's fuse wire (sentinel,
    // version 1, 8 fuses in Electron's defaults): the Electron binary cannot be downloaded here.
    const appOutDir = await mkdtemp(path.join(tmpdir(), 'tidewatch-fuses-'));
    try {
      const binary = path.join(appOutDir, 'Tidewatch.exe');
      await writeFile(
        binary,
        Buffer.concat([
          Buffer.alloc(64, 7),
          Buffer.from('dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX'),
          Buffer.from([1, 8]),
          Buffer.from('10110001'),
          Buffer.alloc(64, 7),
        ]),
      );
      // The step runs on the packager; it reads only its config and the product name.
      const packager = Object.create(PlatformPackager.prototype, {
        config: { value: config },
        appInfo: { value: { productFilename: 'Tidewatch' } },
      }) as {
        doAddElectronFuses(context: { appOutDir: string; electronPlatformName: string }): Promise<void>;
      };
      await packager.doAddElectronFuses({ appOutDir, electronPlatformName: 'win32' });

      const wire = (await getCurrentFuseWire(binary)) as unknown as Record<number, number>;
      const state = (fuse: FuseV1Options) => (wire[fuse] === 49 ? 'on' : wire[fuse] === 48 ? 'off' : '?');
      expect({
        runAsNode: state(FuseV1Options.RunAsNode),
        nodeOptions: state(FuseV1Options.EnableNodeOptionsEnvironmentVariable),
        inspectArguments: state(FuseV1Options.EnableNodeCliInspectArguments),
        asarIntegrity: state(FuseV1Options.EnableEmbeddedAsarIntegrityValidation),
        onlyAsar: state(FuseV1Options.OnlyLoadAppFromAsar),
        cookieEncryption: state(FuseV1Options.EnableCookieEncryption),
        fileProtocolPrivileges: state(FuseV1Options.GrantFileProtocolExtraPrivileges),
      }).toEqual({
        runAsNode: 'off',
        nodeOptions: 'off',
        inspectArguments: 'off',
        asarIntegrity: 'on',
        onlyAsar: 'on',
        cookieEncryption: 'on',
        fileProtocolPrivileges: 'off',
      });
    } finally {
      await rm(appOutDir, { recursive: true, force: true });
    }
    checks.push('Electron fuses');
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
