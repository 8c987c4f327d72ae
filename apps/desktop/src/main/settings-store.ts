import { open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { defaultSettings, settingsSchema, type Settings } from './settings-schema.ts';

export const SETTINGS_FILE_NAME = 'settings.json';

export interface SettingsLog {
  warn(message: string): void;
}

/**
 * The desktop's settings as one JSON file in the user-data folder. Every save writes a temporary file,
 * flushes it to disk and renames it over the old one, so a crash or power cut leaves either the old or the new
 * settings, never half of each. Saves are serialized and coalesced: a burst of window moves costs one write.
 */
export class SettingsStore {
  private current: Settings;
  private writing: Promise<void> | null = null;
  /** Bumped by every change; `savedVersion` is the one on disk. */
  private version = 0;
  private savedVersion = 0;
  private writeCount = 0;

  private constructor(
    private readonly filePath: string,
    initial: Settings,
  ) {
    this.current = initial;
  }

  /** Reads the settings in `directory`; a missing file gives the defaults, a damaged one is set aside. */
  static async open(directory: string, log: SettingsLog): Promise<SettingsStore> {
    const filePath = path.join(directory, SETTINGS_FILE_NAME);
    let text: string;
    try {
      text = await readFile(filePath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      return new SettingsStore(filePath, structuredClone(defaultSettings));
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      const aside = `${filePath}.damaged-${Date.now()}`;
      await rename(filePath, aside);
      log.warn(`Settings file was not valid JSON; moved it to ${aside} and started from defaults`);
      return new SettingsStore(filePath, structuredClone(defaultSettings));
    }
    return new SettingsStore(filePath, settingsSchema.parse(json ?? {}));
  }

  get(): Settings {
    return this.current;
  }

  /** Applies a change and saves it; resolves once the new settings are on disk. */
  async update(change: (settings: Settings) => Settings): Promise<void> {
    this.current = settingsSchema.parse(change(structuredClone(this.current)));
    this.version += 1;
    await this.drain();
  }

  /** Resolves when every accepted change is on disk. */
  async flush(): Promise<void> {
    await this.drain();
  }

  private async drain(): Promise<void> {
    while (this.savedVersion < this.version) {
      if (this.writing) {
        await this.writing;
        continue;
      }
      const version = this.version;
      this.writing = this.write(this.current).finally(() => {
        this.writing = null;
      });
      await this.writing;
      this.savedVersion = Math.max(this.savedVersion, version);
    }
  }

  private async write(settings: Settings): Promise<void> {
    this.writeCount += 1;
    const temporary = `${this.filePath}.${process.pid}.${this.writeCount}.tmp`;
    const handle = await open(temporary, 'w', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(settings, null, 2)}\n`, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(temporary, this.filePath);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }
}
