import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseServerUrl, type WindowPlacement } from '../src/main/settings-schema.ts';
import { SETTINGS_FILE_NAME, SettingsStore } from '../src/main/settings-store.ts';

const warnings: string[] = [];
const log = { warn: (message: string) => warnings.push(message) };

const placement = (x: number, open = true): WindowPlacement => ({
  bounds: { x, y: 40, width: 1000, height: 700 },
  displayId: 2,
  maximized: false,
  open,
});

describe('SettingsStore', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'tidewatch-settings-'));
    warnings.length = 0;
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('starts from defaults when there is no file', async () => {
    const store = await SettingsStore.open(directory, log);
    expect(store.get()).toEqual({
      version: 1,
      serverUrl: null,
      windows: { main: null, popouts: {} },
      preferences: {},
    });
  });

  it('keeps the server, the window layout with pop-out bounds and display, and preferences across restarts', async () => {
    const first = await SettingsStore.open(directory, log);
    await first.update((s) => ({ ...s, serverUrl: parseServerUrl('https://scada.example:8443/login') }));
    await first.update((s) => ({
      ...s,
      windows: { main: placement(0), popouts: { alerts: placement(1920), trends: placement(2200, false) } },
      preferences: { 'alerts.saved-filters': [{ name: 'Critical in Zone 4', priority: ['critical'] }] },
    }));

    const second = await SettingsStore.open(directory, log);
    expect(second.get()).toEqual({
      version: 1,
      serverUrl: 'https://scada.example:8443',
      windows: { main: placement(0), popouts: { alerts: placement(1920), trends: placement(2200, false) } },
      preferences: { 'alerts.saved-filters': [{ name: 'Critical in Zone 4', priority: ['critical'] }] },
    });
  });

  it('writes atomically: no temporary files are left, and a burst of changes ends with the last one on disk', async () => {
    const store = await SettingsStore.open(directory, log);
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        store.update((s) => ({ ...s, windows: { ...s.windows, main: placement(i) } })),
      ),
    );
    expect(await readdir(directory)).toEqual([SETTINGS_FILE_NAME]);
    const onDisk = JSON.parse(await readFile(path.join(directory, SETTINGS_FILE_NAME), 'utf8')) as {
      windows: { main: WindowPlacement };
    };
    expect(onDisk.windows.main.bounds.x).toBe(49);
  });

  it('sets a file that is not JSON aside and starts over, keeping the damaged copy', async () => {
    await writeFile(path.join(directory, SETTINGS_FILE_NAME), '{"serverUrl": "https://a.example", "win');
    const store = await SettingsStore.open(directory, log);
    expect(store.get().serverUrl).toBeNull();
    const files = await readdir(directory);
    expect(files.some((name) => name.startsWith(`${SETTINGS_FILE_NAME}.damaged-`))).toBe(true);
    expect(warnings).toHaveLength(1);
  });

  it('drops only the damaged entries of a file that is JSON', async () => {
    await writeFile(
      path.join(directory, SETTINGS_FILE_NAME),
      JSON.stringify({
        serverUrl: 'javascript:alert(1)',
        windows: { main: placement(10), popouts: { alerts: { bounds: 'left' }, map: placement(3000) } },
        preferences: { 'alerts.sort': 'priority' },
      }),
    );
    const store = await SettingsStore.open(directory, log);
    expect(store.get().serverUrl).toBeNull();
    expect(store.get().windows.main).toEqual(placement(10));
    expect(store.get().windows.popouts).toEqual({});
    expect(store.get().preferences).toEqual({ 'alerts.sort': 'priority' });
  });

  it('accepts https server addresses, and plain http only to this computer, reduced to their origin', () => {
    expect(parseServerUrl(' http://localhost:8080/ ')).toBe('http://localhost:8080');
    expect(parseServerUrl('http://127.0.0.1:8080/login')).toBe('http://127.0.0.1:8080');
    expect(parseServerUrl('http://[::1]:8080')).toBe('http://[::1]:8080');
    expect(parseServerUrl('https://10.0.0.5:8443/x')).toBe('https://10.0.0.5:8443');
    for (const unsafe of ['http://10.0.0.5:8080', 'http://scada.example', 'http://localhost.evil.example']) {
      expect(() => parseServerUrl(unsafe), unsafe).toThrow(/https/);
    }
    expect(() => parseServerUrl('file:///etc/passwd')).toThrow();
    expect(() => parseServerUrl('javascript:alert(1)')).toThrow();
    expect(() => parseServerUrl('scada')).toThrow();
  });

  it('forgets a plain-http server on another computer that an older version saved', async () => {
    await writeFile(
      path.join(directory, SETTINGS_FILE_NAME),
      JSON.stringify({ serverUrl: 'http://10.0.0.5:8080' }),
    );
    const store = await SettingsStore.open(directory, log);
    expect(store.get().serverUrl).toBeNull();
  });
});
