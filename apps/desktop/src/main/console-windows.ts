import { BrowserWindow, type Screen } from 'electron';
import { VIEW_QUERY_PARAMETER, type PopoutKind } from '../common/desktop-api.ts';
import { secureWebPreferences } from './secure-web-preferences.ts';
import type { SettingsStore } from './settings-store.ts';
import type { WindowPlacement } from './settings-schema.ts';
import { restoredBounds, trackPlacement } from './window-placement.ts';

export interface ConsoleWindowsDeps {
  readonly store: SettingsStore;
  readonly screen: Screen;
  readonly preloadPath: string;
  /** The renderer's entry URL: the app scheme in production, the Vite dev server in development. */
  readonly entryUrl: string;
  readonly harden: (window: BrowserWindow) => void;
  readonly isQuitting: () => boolean;
  readonly log: { warn(message: string): void };
}

const popoutTitles: Readonly<Record<PopoutKind, string>> = {
  alerts: 'Tidewatch: alerts',
  map: 'Tidewatch: map',
  trends: 'Tidewatch: trends',
  admin: 'Tidewatch: administration',
};

/** The main console window and its pop-outs, each opened where the operator last left it. */
export class ConsoleWindows {
  private main: BrowserWindow | null = null;
  private readonly popouts = new Map<PopoutKind, BrowserWindow>();

  constructor(private readonly deps: ConsoleWindowsDeps) {}

  openMain(): BrowserWindow {
    if (this.main && !this.main.isDestroyed()) {
      this.main.focus();
      return this.main;
    }
    const window = this.create(
      'Tidewatch',
      this.deps.store.get().windows.main,
      { width: 1440, height: 900 },
      null,
    );
    trackPlacement(
      window,
      this.deps.screen,
      (placement) => {
        this.save((settings) => ({ ...settings, windows: { ...settings.windows, main: placement } }));
      },
      () => false,
    );
    window.on('closed', () => {
      this.main = null;
    });
    this.main = window;
    return window;
  }

  openPopout(kind: PopoutKind): void {
    const existing = this.popouts.get(kind);
    if (existing && !existing.isDestroyed()) {
      existing.focus();
      return;
    }
    const remembered = this.deps.store.get().windows.popouts[kind];
    const window = this.create(popoutTitles[kind], remembered, { width: 1100, height: 720 }, kind);
    trackPlacement(
      window,
      this.deps.screen,
      (placement) => {
        this.save((settings) => ({
          ...settings,
          windows: { ...settings.windows, popouts: { ...settings.windows.popouts, [kind]: placement } },
        }));
      },
      () => !this.deps.isQuitting(),
    );
    window.on('closed', () => this.popouts.delete(kind));
    this.popouts.set(kind, window);
    // A newly opened pop-out is open even before it is first moved.
    this.save((settings) => {
      const placement = settings.windows.popouts[kind];
      if (!placement || placement.open) return settings;
      return {
        ...settings,
        windows: {
          ...settings.windows,
          popouts: { ...settings.windows.popouts, [kind]: { ...placement, open: true } },
        },
      };
    });
  }

  /** Reopens the pop-outs that were open when the app last quit. */
  restorePopouts(): void {
    const popouts = this.deps.store.get().windows.popouts;
    for (const [kind, placement] of Object.entries(popouts) as [PopoutKind, WindowPlacement][]) {
      if (placement.open) this.openPopout(kind);
    }
  }

  mainWindow(): BrowserWindow | null {
    return this.main && !this.main.isDestroyed() ? this.main : null;
  }

  /** Reloads every window, for a new content security policy after the server address changed. */
  reloadAll(): void {
    for (const window of BrowserWindow.getAllWindows()) window.webContents.reload();
  }

  private create(
    title: string,
    placement: WindowPlacement | null | undefined,
    size: { width: number; height: number },
    view: PopoutKind | null,
  ): BrowserWindow {
    const bounds = restoredBounds(this.deps.screen, placement, size);
    const window = new BrowserWindow({
      ...bounds,
      title,
      show: false,
      backgroundColor: '#0b1117',
      autoHideMenuBar: true,
      webPreferences: secureWebPreferences(this.deps.preloadPath),
    });
    this.deps.harden(window);
    if (placement?.maximized) window.maximize();
    window.once('ready-to-show', () => {
      window.show();
    });
    const url = new URL(this.deps.entryUrl);
    if (view) url.searchParams.set(VIEW_QUERY_PARAMETER, view);
    window.loadURL(url.toString()).catch((error: unknown) => {
      this.deps.log.warn(`Could not load the console: ${String(error)}`);
    });
    return window;
  }

  private save(change: Parameters<SettingsStore['update']>[0]): void {
    this.deps.store.update(change).catch((error: unknown) => {
      this.deps.log.warn(`Could not save the window layout: ${String(error)}`);
    });
  }
}
