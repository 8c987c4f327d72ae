import type { WebPreferences } from 'electron';

/**
 * The webPreferences of every window the app opens. The renderer is a web page that talks to a server over
 * the network: it gets no Node, runs in Chromium's sandbox, and reaches the desktop only through the preload's
 * contextBridge API.
 */
export function secureWebPreferences(preloadPath: string): WebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    safeDialogs: true,
    spellcheck: false,
  };
}
