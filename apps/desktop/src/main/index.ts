import path from 'node:path';
import { app, BrowserWindow, ipcMain, net, screen, session } from 'electron';
import { serverConnectSources } from '../common/content-security-policy.ts';
import { isPopoutKind } from '../common/desktop-api.ts';
import { APP_ORIGIN } from './app-origin.ts';
import { registerAppScheme, serveAppScheme } from './app-protocol.ts';
import { ConsoleWindows } from './console-windows.ts';
import { DesktopSignals } from './desktop-signals.ts';
import { hardenSession, hardenWebContents } from './harden-web-contents.ts';
import { registerIpcHandlers } from './ipc-handlers.ts';
import { MapOrigins } from './map-origins.ts';
import { isAppNavigation } from './navigation-policy.ts';
import { SettingsStore } from './settings-store.ts';

// electron-vite sets this while `electron-vite dev` serves the renderer with hot reload.
const devServerUrl = app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL;
const appOrigins = devServerUrl ? [APP_ORIGIN, new URL(devServerUrl).origin] : [APP_ORIGIN];
const log = {
  warn: (message: string) => {
    console.warn(`[tidewatch] ${message}`);
  },
};

registerAppScheme();

async function start(): Promise<void> {
  await app.whenReady();
  const store = await SettingsStore.open(app.getPath('userData'), log);
  let connectSources = store.get().serverUrl ? serverConnectSources(store.get().serverUrl ?? '') : [];
  // Chromium's network stack: the system's proxy and trusted CAs, as for the pages themselves.
  const mapOrigins = new MapOrigins((url, init) => net.fetch(url, init), log);
  void mapOrigins.of(store.get().serverUrl);

  serveAppScheme(path.join(import.meta.dirname, '../renderer'), async () => ({
    connectSources,
    mapSources: await mapOrigins.of(store.get().serverUrl),
  }));
  hardenSession(session.defaultSession);

  let quitting = false;
  app.on('before-quit', () => {
    quitting = true;
  });
  const windows: ConsoleWindows = new ConsoleWindows({
    store,
    screen,
    preloadPath: path.join(import.meta.dirname, '../preload/index.cjs'),
    entryUrl: devServerUrl ?? `${APP_ORIGIN}/index.html`,
    harden: (window) => {
      hardenWebContents(window.webContents, {
        appOrigins: () => appOrigins,
        openPopoutView: (view) => {
          if (isPopoutKind(view)) windows.openPopout(view);
        },
        log,
      });
    },
    isQuitting: () => quitting,
    log,
  });
  const signals = new DesktopSignals(() => windows.mainWindow()?.focus());

  registerIpcHandlers(ipcMain, {
    store,
    windows,
    signals,
    isAppFrame: (event) => isAppNavigation(event.senderFrame?.url ?? '', appOrigins),
    serverChanged: (origin) => {
      connectSources = serverConnectSources(origin);
    },
  });

  const main = windows.openMain();
  // Closing the main window ends the session: pop-outs close with it and reopen at the next start.
  main.on('close', () => {
    quitting = true;
    app.quit();
  });
  windows.restorePopouts();
  signals.start();

  app.on('second-instance', () => {
    const window = windows.mainWindow();
    if (window?.isMinimized()) window.restore();
    window?.focus();
  });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) windows.openMain();
  });
  app.on('will-quit', (event) => {
    signals.stop();
    event.preventDefault();
    store
      .flush()
      .catch((error: unknown) => {
        log.warn(`Could not save settings at exit: ${String(error)}`);
      })
      .finally(() => {
        app.exit(0);
      });
  });
}

// One console per user: a second start focuses the first one's window instead.
if (app.requestSingleInstanceLock()) {
  start().catch((error: unknown) => {
    console.error('[tidewatch] start-up failed', error);
    app.exit(1);
  });
} else {
  app.quit();
}
