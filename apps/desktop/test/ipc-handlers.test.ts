import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IpcChannel } from '../src/common/ipc-channels.ts';
import { APP_ORIGIN } from '../src/main/app-origin.ts';
import type { ConsoleWindows } from '../src/main/console-windows.ts';
import type { DesktopSignals } from '../src/main/desktop-signals.ts';
import { registerIpcHandlers } from '../src/main/ipc-handlers.ts';
import { isAppNavigation } from '../src/main/navigation-policy.ts';
import { SettingsStore } from '../src/main/settings-store.ts';

type Handler = (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown;

/** The main-process side of window.tidewatch, driven the way Electron's ipcMain would call it. */
describe('IPC handlers', () => {
  let directory: string;
  let store: SettingsStore;
  const handlers = new Map<string, Handler>();
  const calls: string[] = [];
  const fromFrame = (url: string) => ({ senderFrame: { url } }) as unknown as IpcMainInvokeEvent;
  const app = fromFrame(`${APP_ORIGIN}/index.html`);
  const invoke = (channel: IpcChannel, event: IpcMainInvokeEvent, ...args: unknown[]) => {
    const handler = handlers.get(channel);
    if (!handler) throw new Error(`no handler for ${channel}`);
    return Promise.resolve().then(() => handler(event, ...args));
  };

  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'tidewatch-ipc-'));
    store = await SettingsStore.open(directory, { warn: () => undefined });
    handlers.clear();
    calls.length = 0;
    const ipcMain = {
      handle: (channel: string, handler: Handler) => {
        handlers.set(channel, handler);
      },
    } as unknown as IpcMain;
    registerIpcHandlers(ipcMain, {
      store,
      windows: {
        reloadAll: () => calls.push('reload'),
        openPopout: (kind: string) => calls.push(`popout:${kind}`),
      } as unknown as ConsoleWindows,
      signals: {
        notify: (n: { title: string }) => calls.push(`notify:${n.title}`),
        setBadgeCount: (count: number) => calls.push(`badge:${count}`),
      } as unknown as DesktopSignals,
      isAppFrame: (event) => isAppNavigation(event.senderFrame?.url ?? '', [APP_ORIGIN]),
      serverChanged: (origin) => calls.push(`server:${origin}`),
    });
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('saves a new server address as its origin, widens the policy and reloads the windows', async () => {
    expect(await invoke('server-url:get', app)).toBeNull();
    await invoke('server-url:set', app, 'https://scada.example:8443/login');
    expect(await invoke('server-url:get', app)).toBe('https://scada.example:8443');
    expect(calls).toEqual(['server:https://scada.example:8443', 'reload']);
    const reopened = await SettingsStore.open(directory, { warn: () => undefined });
    expect(reopened.get().serverUrl).toBe('https://scada.example:8443');
  });

  it('refuses calls from frames that are not the console, and arguments of the wrong shape', async () => {
    await expect(invoke('badge:set', fromFrame('https://evil.example/'), 3)).rejects.toThrow(/refused/);
    await expect(invoke('server-url:set', app, 'file:///etc/passwd')).rejects.toThrow();
    await expect(invoke('server-url:set', app, 'http://10.0.0.5:8080')).rejects.toThrow(/https/);
    await expect(invoke('badge:set', app, -1)).rejects.toThrow(/invalid arguments/);
    await expect(invoke('badge:set', app, '3')).rejects.toThrow(/invalid arguments/);
    await expect(invoke('popout:open', app, 'settings')).rejects.toThrow(/invalid arguments/);
    await expect(invoke('preference:set', app, '../../etc', 1)).rejects.toThrow(/invalid arguments/);
    await expect(invoke('preference:set', app, 'big', 'x'.repeat(300_000))).rejects.toThrow(
      /invalid arguments/,
    );
    await expect(invoke('notification:show', app, { title: '', body: 'x', urgent: true })).rejects.toThrow(
      /invalid arguments/,
    );
    expect(calls).toEqual([]);
  });

  it('keeps preferences in the settings file, and passes badge, notification and pop-out requests on', async () => {
    await invoke('preference:set', app, 'alerts.saved-filters', [{ name: 'Critical', filter: { text: '' } }]);
    expect(await invoke('preference:get', app, 'alerts.saved-filters')).toEqual([
      { name: 'Critical', filter: { text: '' } },
    ]);
    expect(await invoke('preference:get', app, 'unknown')).toBeNull();
    await invoke('badge:set', app, 12);
    await invoke('notification:show', app, { title: 'Critical: burst', body: 'Trunk main', urgent: true });
    await invoke('popout:open', app, 'alerts');
    expect(calls).toEqual(['badge:12', 'notify:Critical: burst', 'popout:alerts']);
  });
});
