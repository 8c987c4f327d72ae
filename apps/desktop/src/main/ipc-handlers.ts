import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import { z } from 'zod';
import { popoutKinds } from '../common/desktop-api.ts';
import type { ConsoleWindows } from './console-windows.ts';
import type { DesktopSignals } from './desktop-signals.ts';
import { MAX_PREFERENCE_BYTES, parseServerUrl, preferenceKeySchema } from './settings-schema.ts';
import type { SettingsStore } from './settings-store.ts';
import { addHandler } from './typed-ipc.ts';

export interface IpcHandlerDeps {
  readonly store: SettingsStore;
  readonly windows: ConsoleWindows;
  readonly signals: DesktopSignals;
  readonly isAppFrame: (event: IpcMainInvokeEvent) => boolean;
  /** Called after the server address changed, before the windows reload with the new policy. */
  readonly serverChanged: (origin: string) => void;
}

const preferenceValue = z.json().refine((value) => JSON.stringify(value).length <= MAX_PREFERENCE_BYTES, {
  message: 'preference too large',
});

/** The main-process side of `window.tidewatch`. */
export function registerIpcHandlers(ipcMain: IpcMain, deps: IpcHandlerDeps): void {
  const { store, isAppFrame } = deps;
  addHandler(ipcMain, 'server-url:get', z.tuple([]), isAppFrame, () => store.get().serverUrl);
  addHandler(ipcMain, 'server-url:set', z.tuple([z.string().max(2048)]), isAppFrame, async (text) => {
    const origin = parseServerUrl(text);
    if (origin === store.get().serverUrl) return undefined;
    await store.update((settings) => ({ ...settings, serverUrl: origin }));
    deps.serverChanged(origin);
    deps.windows.reloadAll();
    return undefined;
  });
  addHandler(ipcMain, 'preference:get', z.tuple([preferenceKeySchema]), isAppFrame, (key) => {
    return store.get().preferences[key] ?? null;
  });
  addHandler(
    ipcMain,
    'preference:set',
    z.tuple([preferenceKeySchema, preferenceValue]),
    isAppFrame,
    async (key, value) => {
      await store.update((settings) => ({
        ...settings,
        preferences: { ...settings.preferences, [key]: value },
      }));
      return undefined;
    },
  );
  addHandler(
    ipcMain,
    'notification:show',
    z.tuple([
      z.object({ title: z.string().min(1).max(200), body: z.string().max(1000), urgent: z.boolean() }),
    ]),
    isAppFrame,
    (notification) => {
      deps.signals.notify(notification);
      return undefined;
    },
  );
  addHandler(ipcMain, 'badge:set', z.tuple([z.number().int().min(0).max(1_000_000)]), isAppFrame, (count) => {
    deps.signals.setBadgeCount(count);
    return undefined;
  });
  addHandler(ipcMain, 'popout:open', z.tuple([z.enum(popoutKinds)]), isAppFrame, (kind) => {
    deps.windows.openPopout(kind);
    return undefined;
  });
}
