import { app, nativeImage, Notification, Tray } from 'electron';
import type { DesktopNotification } from '../common/desktop-api.ts';
import { badgeTooltip, trayIconBitmap } from './tray-icon.ts';

const ICON_SIZE = 32;

/** The tray icon with the unacknowledged count, and OS notifications that bring the console forward. */
export class DesktopSignals {
  private tray: Tray | null = null;
  private count = 0;

  constructor(private readonly focusConsole: () => void) {}

  start(): void {
    this.tray = new Tray(this.icon(false));
    this.tray.setToolTip(badgeTooltip(0));
    this.tray.on('click', this.focusConsole);
  }

  setBadgeCount(count: number): void {
    if (count === this.count) return;
    const waitingChanged = count > 0 !== this.count > 0;
    this.count = count;
    app.setBadgeCount(count);
    if (!this.tray) return;
    this.tray.setToolTip(badgeTooltip(count));
    if (process.platform === 'darwin') this.tray.setTitle(count > 0 ? String(count) : '');
    if (waitingChanged) this.tray.setImage(this.icon(count > 0));
  }

  notify({ title, body, urgent }: DesktopNotification): void {
    if (!Notification.isSupported()) return;
    const notification = new Notification({
      title,
      body,
      urgency: urgent ? 'critical' : 'normal',
      timeoutType: urgent ? 'never' : 'default',
    });
    notification.on('click', this.focusConsole);
    notification.show();
  }

  stop(): void {
    this.tray?.destroy();
    this.tray = null;
  }

  private icon(waiting: boolean) {
    return nativeImage.createFromBitmap(trayIconBitmap(ICON_SIZE, waiting), {
      width: ICON_SIZE,
      height: ICON_SIZE,
    });
  }
}
