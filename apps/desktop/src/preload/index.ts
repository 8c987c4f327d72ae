import { contextBridge, ipcRenderer } from 'electron';
import type { DesktopApi } from '../common/desktop-api.ts';
import type { IpcChannel, IpcContract } from '../common/ipc-channels.ts';

/** The one way the preload talks to main: a channel of the contract, its arguments, its result. */
function invoke<C extends IpcChannel>(
  channel: C,
  ...args: IpcContract[C]['args']
): Promise<IpcContract[C]['result']> {
  return ipcRenderer.invoke(channel, ...args) as Promise<IpcContract[C]['result']>;
}

const api: DesktopApi = {
  getServerUrl: () => invoke('server-url:get'),
  setServerUrl: async (url) => {
    await invoke('server-url:set', url);
  },
  getPreference: (key) => invoke('preference:get', key),
  setPreference: async (key, value) => {
    await invoke('preference:set', key, value);
  },
  notify: async (notification) => {
    await invoke('notification:show', notification);
  },
  setBadgeCount: async (count) => {
    await invoke('badge:set', count);
  },
  openPopout: async (kind) => {
    await invoke('popout:open', kind);
  },
};

contextBridge.exposeInMainWorld('tidewatch', api);
