import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import type { z } from 'zod';
import type { IpcChannel, IpcContract } from '../common/ipc-channels.ts';

/**
 * Registers the handler of one IPC channel. Arguments come from a web page and are parsed with `args`
 * before the handler sees them; calls from frames outside the app are refused.
 */
export function addHandler<C extends IpcChannel>(
  ipcMain: IpcMain,
  channel: C,
  args: z.ZodType<IpcContract[C]['args']>,
  isAppFrame: (event: IpcMainInvokeEvent) => boolean,
  handler: (...input: IpcContract[C]['args']) => Promise<IpcContract[C]['result']> | IpcContract[C]['result'],
): void {
  ipcMain.handle(channel, async (event, ...raw: unknown[]) => {
    if (!isAppFrame(event)) throw new Error(`${channel}: refused, the caller is not the console`);
    const parsed = args.safeParse(raw);
    if (!parsed.success) throw new Error(`${channel}: invalid arguments`);
    return handler(...parsed.data);
  });
}
