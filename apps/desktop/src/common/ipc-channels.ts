import type { DesktopNotification, PopoutKind, PreferenceValue } from './desktop-api.ts';

/**
 * Every IPC channel, its arguments and its result. Main registers handlers and the preload invokes them
 * through typed helpers only, so a channel name or argument cannot drift between the two.
 */
export interface IpcContract {
  'server-url:get': { args: []; result: string | null };
  'server-url:set': { args: [url: string]; result: undefined };
  'preference:get': { args: [key: string]; result: PreferenceValue | null };
  'preference:set': { args: [key: string, value: PreferenceValue]; result: undefined };
  'notification:show': { args: [notification: DesktopNotification]; result: undefined };
  'badge:set': { args: [count: number]; result: undefined };
  'popout:open': { args: [kind: PopoutKind]; result: undefined };
}
export type IpcChannel = keyof IpcContract;
